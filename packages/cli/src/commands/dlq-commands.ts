import { eventToJson } from '@fraiseql/core';
import {
  createDeadLetterQueue,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterQueue,
  type DeadLetterRetryResult,
  type ObserverDefinition,
} from '@fraiseql/observers';
import type { Command, CommandContext, OptionSpec } from '../command.js';
import { integer } from '../options/option-parsers.js';
import { CONFIG_OPTION, DATABASE_OPTION } from './common-options.js';
import { loadConfig } from '../context/load-config.js';
import { createObserverSetup } from '../context/observer-setup.js';
import { openDatabase } from '../context/open-database.js';
import { CliError } from '../errors.js';
import { formatTable } from '../output/format-table.js';
import { createProgress } from '../output/progress.js';
import { print } from '../output/print.js';

const FILTER = {
  observer: { type: 'string', value: 'name', description: 'only this observer' },
  entity: { type: 'string', value: 'type', description: 'only this entity type' },
} as const satisfies Record<string, OptionSpec>;

const ID = { name: 'id', description: 'the dead letter id (a UUID, as `dlq list` shows)' };

/** A dead letter `retry-all` left alone because the config cannot run its action. */
interface SkippedRetry {
  readonly id: string;
  readonly status: 'skipped';
  readonly reason: string;
}

/**
 * Why the config's observers cannot run a dead letter's action again, or undefined when they
 * can. Checked before retrying: a retry that cannot find its observer would count as a failed
 * attempt.
 */
function replayProblem(
  definitions: readonly ObserverDefinition[],
  item: DeadLetter,
): string | undefined {
  const observer = definitions.find((definition) => definition.name === item.observer);
  if (observer === undefined) {
    const known = definitions.map((definition) => definition.name).join(', ');
    return `observer ${JSON.stringify(item.observer)} is not defined (defined: ${known === '' ? 'none' : known})`;
  }
  const action = observer.actions[item.actionIndex];
  if (action?.type !== item.actionType) {
    return `observer ${JSON.stringify(item.observer)} has no ${item.actionType} action at index ${String(item.actionIndex)}`;
  }
  return undefined;
}

function filterOf(context: CommandContext): DeadLetterFilter {
  const { observer, entity } = context.values;
  return {
    ...(typeof observer === 'string' ? { observer } : {}),
    ...(typeof entity === 'string' ? { entityType: entity } : {}),
  };
}

function letterJson(item: DeadLetter): Record<string, unknown> {
  return { ...item, event: eventToJson(item.event) };
}

async function withDb<T>(
  context: CommandContext,
  use: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(context);
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

/** A `dlq <verb> <id>` command that runs `act` on the dead-letter queue of `--database`. */
function letterCommand(
  verb: string,
  summary: string,
  act: (context: CommandContext, dlq: DeadLetterQueue, id: string) => Promise<number>,
): Command {
  return {
    path: ['dlq', verb],
    summary,
    args: [ID],
    options: DATABASE_OPTION,
    examples: [`fraiseql dlq ${verb} 1b4e28ba-2fa1-11d2-883f-0016d3cca427`],
    run: (context) =>
      withDb(context, (db) =>
        act(context, createDeadLetterQueue(db), context.positionals[0] ?? ''),
      ),
  };
}

const list: Command = {
  path: ['dlq', 'list'],
  summary: 'list dead-lettered observer actions, oldest first',
  options: {
    ...DATABASE_OPTION,
    ...FILTER,
    limit: {
      type: 'string',
      value: 'n',
      default: '100',
      parse: integer(1, 1000),
      description: 'most items (1 to 1000)',
    },
    offset: {
      type: 'string',
      value: 'n',
      default: '0',
      parse: integer(0),
      description: 'skip this many',
    },
  },
  examples: ['fraiseql dlq list', 'fraiseql dlq list --observer order-shipped --limit 20 --json'],
  run: (context) =>
    withDb(context, async (db) => {
      const items = await createDeadLetterQueue(db).list({
        ...filterOf(context),
        limit: Number(context.values.limit),
        offset: Number(context.values.offset),
      });
      print(context, items.map(letterJson), () =>
        formatTable(
          ['ID', 'OBSERVER', 'ACTION', 'EVENT', 'ERROR', 'RETRIES', 'CREATED'],
          items.map((item) => [
            item.id,
            item.observer,
            `${String(item.actionIndex)}:${item.actionType}`,
            `${item.event.eventType} ${item.event.entityType} ${item.event.entityId}`,
            `${item.errorType}: ${item.errorMessage}`,
            item.retryCount,
            item.createdAt,
          ]),
        ),
      );
      return 0;
    }),
};

const show = letterCommand(
  'show',
  'show one dead letter with its event and attempt history',
  async (context, dlq, id) => {
    const item = await dlq.show(id);
    print(context, letterJson(item), () =>
      [
        `id:       ${item.id}`,
        `observer: ${item.observer} (action ${String(item.actionIndex)}: ${item.actionType})`,
        `error:    ${item.errorCode} ${item.errorType}: ${item.errorMessage}`,
        `retries:  ${String(item.retryCount)}   created ${item.createdAt.toISOString()}   updated ${item.updatedAt.toISOString()}`,
        'attempts:',
        ...item.attempts.map(
          (a) =>
            `  #${String(a.attempt)} ${a.at} ${String(a.durationMs)}ms ${a.errorCode}: ${a.error}`,
        ),
        'event:',
        JSON.stringify(eventToJson(item.event), null, 2),
        '',
      ].join('\n'),
    );
    return 0;
  },
);

const retry: Command = {
  path: ['dlq', 'retry'],
  summary: "run a dead letter's action again (removed when it succeeds)",
  args: [ID],
  options: { ...DATABASE_OPTION, ...CONFIG_OPTION },
  details:
    'The action runs with the observer as the config file defines it, so pass the config of the service that dead-lettered the item. A dead letter whose observer or action the config does not define is left as it is (exit 1).',
  examples: [
    'fraiseql dlq retry 1b4e28ba-2fa1-11d2-883f-0016d3cca427',
    'fraiseql dlq retry 1b4e28ba-2fa1-11d2-883f-0016d3cca427 --config deploy/observers.yaml --json',
  ],
  async run(context) {
    const { path, config } = await loadConfig(context);
    return withDb(context, async (db) => {
      await using setup = createObserverSetup(context, config, db);
      const id = context.positionals[0] ?? '';
      const problem = replayProblem(setup.definitions, await setup.dlq.show(id));
      if (problem !== undefined) {
        throw new CliError(
          'CONFIG_MISSING',
          `dead letter ${id} not retried: ${problem} in ${path}; pass --config <file> with the observers config of the service that dead-lettered it`,
        );
      }
      const result = await setup.dlq.retry(id, {
        signal: context.signal,
        replay: setup.executor.replay,
      });
      print(context, result, () =>
        result.status === 'succeeded'
          ? `succeeded: ${result.summary} (removed from the queue)\n`
          : result.status === 'failed'
            ? `failed again: ${result.error}\n`
            : 'busy: another retry of this item is running\n',
      );
      return result.status === 'succeeded' ? 0 : 1;
    });
  },
};

const retryAll: Command = {
  path: ['dlq', 'retry-all'],
  summary: 'retry every dead letter (matching the filters), oldest first',
  options: { ...DATABASE_OPTION, ...FILTER, ...CONFIG_OPTION },
  details:
    'At most 1000 items per run. Items whose observer or action the config does not define are skipped and left as they are (exit 1).',
  examples: ['fraiseql dlq retry-all', 'fraiseql dlq retry-all --observer order-shipped --json'],
  async run(context) {
    const { path, config } = await loadConfig(context);
    return withDb(context, async (db) => {
      await using setup = createObserverSetup(context, config, db);
      const items = await setup.dlq.list({ ...filterOf(context), limit: 1000 });
      const progress = createProgress(context.terminal, 'retrying', items.length, context.json);
      const results: (DeadLetterRetryResult | SkippedRetry)[] = [];
      for (const item of items) {
        context.signal.throwIfAborted();
        const problem = replayProblem(setup.definitions, item);
        if (problem !== undefined) {
          results.push({ id: item.id, status: 'skipped', reason: `${problem} in ${path}` });
          progress.tick(`${item.id} skipped`);
          continue;
        }
        const result = await setup.dlq.retry(item.id, {
          signal: context.signal,
          replay: setup.executor.replay,
        });
        results.push(result);
        progress.tick(`${item.id} ${result.status}`);
      }
      progress.done();
      const count = (status: string): number => results.filter((r) => r.status === status).length;
      const totals = {
        succeeded: count('succeeded'),
        failed: count('failed'),
        busy: count('busy'),
        skipped: count('skipped'),
        results,
      };
      const skipped = results.flatMap((r) => (r.status === 'skipped' ? [r] : []));
      print(
        context,
        totals,
        () =>
          `retried ${String(results.length - totals.skipped)}: ${String(totals.succeeded)} succeeded, ${String(totals.failed)} failed, ${String(totals.busy)} busy${
            totals.skipped > 0
              ? `, ${String(totals.skipped)} skipped (pass --config with the observers that dead-lettered them):\n${skipped.map((r) => `  ${r.id}: ${r.reason}\n`).join('')}`
              : '\n'
          }`,
      );
      return totals.failed > 0 || totals.skipped > 0 ? 1 : 0;
    });
  },
};

const remove = letterCommand('remove', 'delete a dead letter', async (context, dlq, id) => {
  const removed = await dlq.remove(id);
  if (!removed) throw new CliError('NOT_FOUND', `no dead letter with id ${id}`);
  print(context, { id, removed }, () => `removed ${id}\n`);
  return 0;
});

const stats: Command = {
  path: ['dlq', 'stats'],
  summary: 'dead letters by observer, entity and error type',
  options: { ...DATABASE_OPTION, ...FILTER },
  examples: ['fraiseql dlq stats', 'fraiseql dlq stats --json'],
  run: (context) =>
    withDb(context, async (db) => {
      const s = await createDeadLetterQueue(db).stats(filterOf(context));
      const section = (title: string, counts: Readonly<Record<string, number>>): string =>
        `${title}:\n${Object.entries(counts)
          .map(([key, n]) => `  ${key}  ${String(n)}`)
          .join('\n')}\n`;
      print(context, s, () =>
        [
          `total: ${String(s.total)}  oldest: ${s.oldest?.toISOString() ?? '-'}  newest: ${s.newest?.toISOString() ?? '-'}\n`,
          section('by observer', s.byObserver),
          section('by entity', s.byEntityType),
          section('by error type', s.byErrorType),
        ].join(''),
      );
      return 0;
    }),
};

/** `fraiseql dlq …`: the observer dead-letter queue in PostgreSQL. */
export const dlqCommands: readonly Command[] = [list, show, retry, retryAll, remove, stats];
