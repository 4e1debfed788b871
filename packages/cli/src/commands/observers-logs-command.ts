import { isCoreError, parseDuration, timeParam } from '@fraiseql/core';
import {
  createInvocationLog,
  isObserverError,
  type Invocation,
  type InvocationFilter,
} from '@fraiseql/observers';
import type { Command, CommandContext } from '../command.js';
import { openDatabase } from '../context/open-database.js';
import { CliError } from '../errors.js';
import { integer } from '../options/option-parsers.js';
import { formatTable } from '../output/format-table.js';
import { jsonReplacer, print } from '../output/print.js';
import { DATABASE_OPTION } from './common-options.js';

/** `fraiseql observers logs`: the invocation log, newest first, or followed as it grows. */
export const observersLogsCommand: Command = {
  path: ['observers', 'logs'],
  summary: 'show the invocation log: every action attempt with its outcome, HTTP status and error',
  details:
    'Reads core.tb_observer_invocation (written by the reference server, or by an executor given an invocation log). Without --follow, the newest --limit attempts, newest first. With --follow, the newest --limit oldest first, then new attempts as they are written until interrupted; with --json each one is a JSON line.',
  options: {
    ...DATABASE_OPTION,
    observer: { type: 'string', value: 'name', description: 'only this observer' },
    event: { type: 'string', value: 'id', description: 'only this event (UUID)' },
    status: {
      type: 'string',
      value: 'status',
      description: 'success, failure, aborted, an HTTP status (503) or class (5xx)',
    },
    since: {
      type: 'string',
      value: 'time',
      description: 'attempts started since an ISO time or a duration back (1h)',
    },
    limit: {
      type: 'string',
      value: 'n',
      default: '50',
      parse: integer(1, 1000),
      description: 'most attempts shown at first (1 to 1000)',
    },
    follow: { type: 'boolean', short: 'f', description: 'keep printing new attempts' },
    interval: {
      type: 'string',
      value: 'duration',
      default: '1s',
      description: 'how often --follow reads new attempts',
    },
  },
  examples: [
    'fraiseql observers logs --observer order_paid_shipping --status failure',
    'fraiseql observers logs --since 1h --json',
    'fraiseql observers logs --follow --json',
  ],
  async run(context) {
    const filter = filterOf(context);
    const intervalMs = durationOf(context);
    const db = await openDatabase(context);
    try {
      const log = createInvocationLog(db, { enabled: false, pruneInterval: 0 });
      const list = async (more: InvocationFilter): Promise<Invocation[]> => {
        try {
          return await log.list({ ...filter, ...more });
        } catch (cause) {
          if (isObserverError(cause, 'INVALID_ARGUMENT')) {
            throw new CliError('USAGE', `--${cause.message}`, { cause });
          }
          throw cause;
        }
      };
      const newest = await list({ limit: Number(context.values.limit) });
      if (context.values.follow !== true) {
        print(context, newest, () => table(newest));
        return 0;
      }
      // Nothing matched yet: follow from the log's end, not from its beginning.
      let last = newest[0]?.id ?? (await log.list({ limit: 1 }))[0]?.id ?? '0';
      emit(context, [...newest].reverse(), true);
      for (;;) {
        await sleep(intervalMs, context.signal);
        if (context.signal.aborted) break;
        const rows = await list({ afterId: last, limit: 1000 });
        if (rows.length === 0) continue;
        last = rows.at(-1)?.id ?? last;
        emit(context, rows, false);
      }
      return 0;
    } finally {
      await db.close();
    }
  },
};

function filterOf(context: CommandContext): InvocationFilter {
  const text = (name: string): string | undefined => {
    const value = context.values[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  let since: Date | undefined;
  try {
    since = timeParam(text('since'), '--since', new Date());
  } catch (cause) {
    if (isCoreError(cause, 'INVALID_ARGUMENT'))
      throw new CliError('USAGE', cause.message, { cause });
    throw cause;
  }
  return {
    observer: text('observer'),
    eventId: text('event'),
    status: text('status'),
    since,
  };
}

function durationOf(context: CommandContext): number {
  const raw = String(context.values.interval ?? '1s');
  try {
    return Math.max(100, parseDuration(raw, '--interval'));
  } catch (cause) {
    throw new CliError(
      'USAGE',
      `--interval: expected a duration (1s, 500ms), got ${JSON.stringify(raw)}`,
      {
        cause,
      },
    );
  }
}

/** Follow mode: one JSON line per attempt, or table rows (with a header the first time). */
function emit(context: CommandContext, rows: readonly Invocation[], first: boolean): void {
  if (context.json) {
    for (const row of rows) context.terminal.out(`${JSON.stringify(row, jsonReplacer)}\n`);
    return;
  }
  if (rows.length === 0) {
    if (first) context.terminal.out('waiting for action attempts…\n');
    return;
  }
  const text = table(rows);
  context.terminal.out(first ? text : text.split('\n').slice(1).join('\n'));
}

function table(rows: readonly Invocation[]): string {
  if (rows.length === 0) return 'no action attempts match\n';
  return formatTable(
    ['ID', 'STARTED', 'OBSERVER', 'ACTION', 'EVENT', 'TRY', 'OUTCOME', 'HTTP', 'MS', 'DETAIL'],
    rows.map((row) => [
      row.id,
      row.startedAt,
      row.observer,
      `${String(row.actionIndex)}:${row.actionType}`,
      `${row.eventType} ${row.entityType} ${row.entityId}`,
      row.trigger === 'delivery'
        ? String(row.attempt)
        : `${String(row.attempt)} ${row.trigger}${row.actor === undefined ? '' : ` by ${row.actor}`}`,
      row.outcome,
      row.httpStatus ?? '',
      Math.round(row.durationMs),
      row.outcome === 'success'
        ? (row.summary ?? '')
        : `${row.errorType ?? ''}: ${row.errorMessage ?? ''}`,
    ]),
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
