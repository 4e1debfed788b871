import { countChangeLogRange, readChangeLogRange } from '@fraiseql/core';
import type { Command } from '../command.js';
import { sequence } from '../options/option-parsers.js';
import { CONFIG_OPTION, DATABASE_OPTION } from './common-options.js';
import { loadConfig } from '../context/load-config.js';
import { createObserverSetup } from '../context/observer-setup.js';
import { messageOf, openDatabase } from '../context/open-database.js';
import { CliError } from '../errors.js';
import { createProgress } from '../output/progress.js';
import { print } from '../output/print.js';

/** `fraiseql observers replay`: runs the observers again over a change-log sequence range. */
export const observersReplayCommand: Command = {
  path: ['observers', 'replay'],
  summary: 'dispatch the change-log events of a sequence range to the observers again',
  details:
    "The actions run for real, with the observers' retry and failure policies; the dedup store is not used (a replay is a deliberate second run). `fraiseql observers status` shows the change-log head.",
  options: {
    ...CONFIG_OPTION,
    ...DATABASE_OPTION,
    from: {
      type: 'string',
      value: 'seq',
      required: true,
      parse: sequence,
      description: 'first change-log sequence (inclusive)',
    },
    to: {
      type: 'string',
      value: 'seq',
      required: true,
      parse: sequence,
      description: 'last change-log sequence (inclusive)',
    },
    observer: { type: 'string', value: 'name', description: 'replay into this observer only' },
  },
  examples: [
    'fraiseql observers replay --from 1000 --to 1200',
    'fraiseql observers replay --from 1000 --to 1000 --observer order-shipped --json',
  ],
  async run(context) {
    const from = BigInt(String(context.values.from));
    const to = BigInt(String(context.values.to));
    if (to < from) {
      throw new CliError(
        'USAGE',
        `--to ${to.toString()} is below --from ${from.toString()}: the range is inclusive and runs upward`,
      );
    }
    const { config } = await loadConfig(context);
    const only = typeof context.values.observer === 'string' ? context.values.observer : undefined;
    const db = await openDatabase(context);
    try {
      await using setup = createObserverSetup(context, config, db, only);
      const total = await countChangeLogRange(db, { from, to });
      const deadBefore = await setup.dlq.count();
      const progress = createProgress(context.terminal, 'replaying', total, context.json);
      const results: { seq: string; id: string; observers: string[]; error?: string }[] = [];
      for await (const event of readChangeLogRange(db, { from, to, signal: context.signal })) {
        context.signal.throwIfAborted();
        const observers = setup.definitions
          .filter((definition) => definition.enabled)
          .filter(
            (definition) =>
              (definition.entity === '*' || definition.entity === event.entityType) &&
              definition.events.includes(event.eventType),
          )
          .filter((definition) => definition.compiledCondition?.evaluate(event) ?? true)
          .map((definition) => definition.name);
        const row = { seq: event.seq.toString(), id: event.id, observers };
        try {
          await setup.executor(event, { signal: context.signal });
          results.push(row);
        } catch (error) {
          results.push({ ...row, error: messageOf(error) });
        }
        progress.tick(`seq ${row.seq} → ${String(observers.length)} observer(s)`);
      }
      progress.done();
      const failed = results.filter((result) => result.error !== undefined);
      // Actions that failed for good went through their observer's failure policy.
      const deadLettered = (await setup.dlq.count()) - deadBefore;
      const dispatched = results.reduce((sum, result) => sum + result.observers.length, 0);
      print(
        context,
        {
          from: from.toString(),
          to: to.toString(),
          events: results.length,
          dispatched,
          failed: failed.length,
          deadLettered,
          results,
        },
        () =>
          [
            `replayed ${String(results.length)} event(s) from seq ${from.toString()} to ${to.toString()}: ${String(dispatched)} observer dispatch(es), ${String(failed.length)} failed, ${String(deadLettered)} new dead letter(s)`,
            ...failed.map((result) => `  seq ${result.seq}: ${result.error ?? ''}`),
            '',
          ].join('\n'),
      );
      return failed.length > 0 ? 1 : 0;
    } finally {
      await db.close();
    }
  },
};
