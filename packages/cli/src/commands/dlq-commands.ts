import { eventToJson } from '@fraiseql/core';
import {
  createDeadLetterQueue,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterQueue,
  type DeadLetterRetryResult,
} from '@fraiseql/observers';
import type { Command, CommandContext } from '../command.js';
import { loadConfig } from '../context/load-config.js';
import { createObserverSetup } from '../context/observer-setup.js';
import { openDatabase } from '../context/open-database.js';
import { CliError } from '../errors.js';
import { formatTable } from '../output/format-table.js';
import { createProgress } from '../output/progress.js';
import { print } from '../output/print.js';

const DB = { database: { type: 'string' } } as const;
const DB_HELP = { database: 'PostgreSQL URL (default: DATABASE_URL)' };
const FILTER = { observer: { type: 'string' }, entity: { type: 'string' } } as const;
const FILTER_HELP = { observer: 'only this observer', entity: 'only this entity type' };

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
    args: '<id>',
    arity: [1, 1],
    options: DB,
    optionHelp: DB_HELP,
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
    ...DB,
    ...FILTER,
    limit: { type: 'string', default: '100' },
    offset: { type: 'string', default: '0' },
  },
  optionHelp: {
    ...DB_HELP,
    ...FILTER_HELP,
    limit: 'most items (at most 1000)',
    offset: 'skip this many',
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
  args: '<id>',
  arity: [1, 1],
  options: { ...DB, config: { type: 'string', short: 'c' } },
  optionHelp: {
    ...DB_HELP,
    config: 'config file with the observers (default: ./fraiseql.config.yaml)',
  },
  examples: ['fraiseql dlq retry 1b4e28ba-2fa1-11d2-883f-0016d3cca427'],
  async run(context) {
    const { config } = await loadConfig(context);
    return withDb(context, async (db) => {
      await using setup = createObserverSetup(context, config, db);
      const result = await setup.dlq.retry(context.positionals[0] ?? '', {
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
  options: { ...DB, ...FILTER, config: { type: 'string', short: 'c' } },
  optionHelp: {
    ...DB_HELP,
    ...FILTER_HELP,
    config: 'config file with the observers (default: ./fraiseql.config.yaml)',
  },
  examples: ['fraiseql dlq retry-all', 'fraiseql dlq retry-all --observer order-shipped --json'],
  async run(context) {
    const { config } = await loadConfig(context);
    return withDb(context, async (db) => {
      await using setup = createObserverSetup(context, config, db);
      const items = await setup.dlq.list({ ...filterOf(context), limit: 1000 });
      const progress = createProgress(context.terminal, 'retrying', items.length, context.json);
      const results: DeadLetterRetryResult[] = [];
      for (const item of items) {
        context.signal.throwIfAborted();
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
        results,
      };
      print(
        context,
        totals,
        () =>
          `retried ${String(results.length)}: ${String(totals.succeeded)} succeeded, ${String(totals.failed)} failed, ${String(totals.busy)} busy\n`,
      );
      return totals.failed > 0 ? 1 : 0;
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
  options: { ...DB, ...FILTER },
  optionHelp: { ...DB_HELP, ...FILTER_HELP },
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
