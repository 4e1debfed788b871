import { CHANGE_LOG_TABLE } from '@fraiseql/core';
import { createDeadLetterQueue } from '@fraiseql/observers';
import type { Command } from '../command.js';
import { openDatabase } from '../context/open-database.js';
import { formatTable } from '../output/format-table.js';
import { print } from '../output/print.js';

interface ConsumerRow {
  consumer: string;
  cursor_pk: string;
  updated_at: Date | string;
  claimed: string;
  behind: string;
}

/** `fraiseql observers status`: change-log consumers' progress and the dead letters, from the database. */
export const observersStatusCommand: Command = {
  path: ['observers', 'status'],
  summary: 'progress of each change-log consumer, its backlog and the dead letters per observer',
  options: { database: { type: 'string' } },
  optionHelp: { database: 'PostgreSQL URL (default: DATABASE_URL)' },
  examples: ['fraiseql observers status', 'fraiseql observers status --json'],
  async run(context) {
    const db = await openDatabase(context);
    try {
      const head = await db.query<{ head: string | null }>(
        `SELECT max(pk_entity_change_log)::text AS head FROM ${CHANGE_LOG_TABLE}`,
      );
      const consumers = await db.query<ConsumerRow>(
        `SELECT c.consumer, c.cursor_pk::text AS cursor_pk, c.updated_at,
                (SELECT count(*) FROM core.tb_observer_claim k WHERE k.consumer = c.consumer)::text AS claimed,
                (SELECT count(*) FROM ${CHANGE_LOG_TABLE} l WHERE l.pk_entity_change_log > c.cursor_pk)::text AS behind
         FROM core.tb_observer_checkpoint c ORDER BY c.consumer`,
      );
      const dlq = await createDeadLetterQueue(db).stats();
      const status = {
        headSeq: head.rows[0]?.head ?? null,
        consumers: consumers.rows.map((row) => ({
          consumer: row.consumer,
          cursorSeq: row.cursor_pk,
          inFlight: Number(row.claimed),
          behind: Number(row.behind),
          updatedAt: new Date(row.updated_at).toISOString(),
        })),
        deadLetters: dlq,
      };
      print(context, status, () =>
        [
          `change log head: seq ${status.headSeq ?? '(empty)'}`,
          '',
          status.consumers.length === 0
            ? 'no change-log consumer has run yet\n'
            : formatTable(
                ['CONSUMER', 'CURSOR SEQ', 'IN FLIGHT', 'BEHIND', 'UPDATED'],
                status.consumers.map((c) => [
                  c.consumer,
                  c.cursorSeq,
                  c.inFlight,
                  c.behind,
                  c.updatedAt,
                ]),
              ),
          `dead letters: ${String(dlq.total)}${Object.entries(dlq.byObserver)
            .map(([name, count]) => `  ${name}=${String(count)}`)
            .join('')}`,
          '',
        ].join('\n'),
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};
