import type { SqlClient } from '@fraiseql/core';
import {
  createActionRegistry,
  createDeadLetterQueue,
  createMatcher,
  createObserverDefinitions,
  createObserverExecutor,
  type ActionRegistry,
  type DeadLetterQueue,
  type ObserverDefinition,
  type ObserverExecutor,
  type ObserversConfig,
} from '@fraiseql/observers';
import type { CommandContext } from '../command.js';
import { CliError } from '../errors.js';

/** What replaying events or dead letters needs: the observers, their actions and the DLQ. */
export interface ObserverSetup extends AsyncDisposable {
  readonly definitions: readonly ObserverDefinition[];
  readonly registry: ActionRegistry;
  readonly dlq: DeadLetterQueue;
  readonly executor: ObserverExecutor;
  close(): Promise<void>;
}

/**
 * Builds the executor the runtime would use (built-in actions, the PostgreSQL dead-letter
 * queue, no dedup so a replay runs again on purpose), limited to `only` when given.
 *
 * @throws {CliError} `NOT_FOUND` when `only` names no observer of the config.
 */
export function createObserverSetup(
  context: CommandContext,
  config: ObserversConfig,
  db: SqlClient,
  only?: string,
): ObserverSetup {
  const all = createObserverDefinitions(config);
  const definitions =
    only === undefined ? all : all.filter((definition) => definition.name === only);
  if (only !== undefined && definitions.length === 0) {
    throw new CliError(
      'NOT_FOUND',
      `no observer named ${JSON.stringify(only)} (known: ${all.map((definition) => definition.name).join(', ')})`,
    );
  }
  const redisUrl = config.redis?.url ?? context.env.REDIS_URL;
  const registry = createActionRegistry({
    env: context.env,
    ...(redisUrl === undefined ? {} : { redisUrl }),
  });
  const dlq = createDeadLetterQueue(db);
  const executor = createObserverExecutor({ matcher: createMatcher(definitions), registry, dlq });
  const close = async (): Promise<void> => {
    await executor.close();
    await registry.close();
  };
  return { definitions, registry, dlq, executor, close, [Symbol.asyncDispose]: close };
}
