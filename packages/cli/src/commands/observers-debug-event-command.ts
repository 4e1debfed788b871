import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  eventFromJson,
  eventToJson,
  isCoreError,
  readChangeLogEvent,
  type EntityEvent,
} from '@fraiseql/core';
import {
  createMatcher,
  createObserverDefinitions,
  explainEvent,
  type ObserverMatcher,
  type ObserverVerdict,
} from '@fraiseql/observers';
import type { Command, CommandContext } from '../command.js';
import { CONFIG_OPTION, DATABASE_OPTION } from './common-options.js';
import { loadConfig } from '../context/load-config.js';
import { openDatabase } from '../context/open-database.js';
import { CliError } from '../errors.js';
import { print } from '../output/print.js';
import { styles } from '../output/terminal.js';
import { actionSummary } from './action-summary.js';

/** One observer's verdict as this command prints it: `explainEvent`'s, with action details. */
interface DebugVerdict extends Omit<ObserverVerdict, 'state' | 'actions'> {
  readonly enabled: boolean;
  /** Actions that would run, in order (none unless matched). */
  readonly actions: readonly string[];
}

/** `fraiseql observers debug-event`: which observers an event matches, and why. */
export const observersDebugEventCommand: Command = {
  path: ['observers', 'debug-event'],
  summary:
    'show which observers an event matches, each condition clause and the actions that would run (runs nothing)',
  args: [
    {
      name: 'event.json',
      required: false,
      description: 'a file with the event as JSON (what --json output of this command shows)',
    },
  ],
  options: {
    ...CONFIG_OPTION,
    id: {
      type: 'string',
      value: 'id',
      description: 'read the event from the change log by event UUID or sequence number',
    },
    database: {
      ...DATABASE_OPTION.database,
      description: 'PostgreSQL URL for --id (default: DATABASE_URL)',
    },
  },
  examples: [
    'fraiseql observers debug-event event.json',
    'fraiseql observers debug-event --id 1042 --json',
  ],
  async run(context) {
    checkEventChoice(context);
    const { config } = await loadConfig(context);
    const event = await readEvent(context);
    const matcher = createMatcher(createObserverDefinitions(config));
    const verdicts = explainEvent(matcher, event).map((v) => detailed(matcher, v));
    const matched = verdicts.filter((v) => v.matched).length;
    print(context, { event: eventToJson(event), matched, observers: verdicts }, () =>
      describe(context, event, verdicts),
    );
    return 0;
  },
};

// A usage mistake is reported before anything is read.
function checkEventChoice(context: CommandContext): void {
  const id = context.values.id;
  const file = context.positionals[0];
  if (typeof id === 'string' && file !== undefined) {
    throw new CliError(
      'USAGE',
      `give the event either as a file (${file}) or by --id (${id}), not both`,
    );
  }
  if (typeof id !== 'string' && file === undefined) {
    throw new CliError(
      'USAGE',
      'which event? give a JSON file (fraiseql observers debug-event event.json) or a change-log event by --id <event UUID or sequence>',
    );
  }
}

async function readEvent(context: CommandContext): Promise<EntityEvent> {
  const id = context.values.id;
  const file = context.positionals[0];
  if (typeof id === 'string') {
    const db = await openDatabase(context);
    try {
      const event = await readChangeLogEvent(db, id).catch((cause: unknown) => {
        throw isCoreError(cause, 'INVALID_ARGUMENT')
          ? new CliError('USAGE', `--id: ${cause.message}`, { cause })
          : cause;
      });
      if (event === undefined) throw new CliError('NOT_FOUND', `no change-log event ${id}`);
      return event;
    } finally {
      await db.close();
    }
  }
  const path = resolve(context.cwd, file ?? '');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new CliError('FAILED', `cannot read the event ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return eventFromJson(json);
  } catch (cause) {
    throw new CliError('FAILED', `${path} is not an event: ${(cause as Error).message}`, { cause });
  }
}

function detailed(matcher: ObserverMatcher, verdict: ObserverVerdict): DebugVerdict {
  return {
    observer: verdict.observer,
    matched: verdict.matched,
    enabled: verdict.state !== 'disabled',
    entityMatches: verdict.entityMatches,
    eventMatches: verdict.eventMatches,
    ...(verdict.condition === undefined ? {} : { condition: verdict.condition }),
    ...(verdict.conditionError === undefined ? {} : { conditionError: verdict.conditionError }),
    actions: verdict.matched
      ? (matcher.get(verdict.observer)?.actions ?? []).map((action) => actionSummary(action))
      : [],
  };
}

function describe(
  context: CommandContext,
  event: EntityEvent,
  verdicts: readonly DebugVerdict[],
): string {
  const paint = styles(context.terminal.color);
  const mark = (ok: boolean): string => (ok ? paint.green('yes') : paint.red('no'));
  const lines = [
    `event ${event.id} seq ${event.seq.toString()}: ${event.eventType} ${event.entityType} ${event.entityId}`,
    `${String(verdicts.filter((v) => v.matched).length)} of ${String(verdicts.length)} observer(s) match`,
    '',
  ];
  for (const v of verdicts) {
    lines.push(
      `${paint.bold(v.observer)}: ${v.matched ? paint.green('MATCH') : paint.dim('no match')}`,
    );
    lines.push(
      `  enabled ${mark(v.enabled)}  entity ${mark(v.entityMatches)}  event ${mark(v.eventMatches)}`,
    );
    if (v.conditionError !== undefined) {
      lines.push(`  condition failed on this event: ${v.conditionError}`);
    }
    if (v.condition !== undefined) {
      lines.push(`  condition ${v.condition.source} => ${mark(v.condition.result)}`);
      for (const clause of v.condition.clauses) {
        const values =
          clause.values === undefined
            ? ''
            : `  (${clause.values.map((x) => (x === undefined ? 'undefined' : JSON.stringify(x))).join(' vs ')})`;
        lines.push(
          `    col ${String(clause.column)}: ${clause.source} => ${mark(clause.result)}${values}`,
        );
      }
    }
    for (const action of v.actions) lines.push(`  would run: ${action}`);
  }
  return `${lines.join('\n')}\n`;
}
