import { CHANGE_LOG_TABLE, listChangeLogReaders } from '@fraiseql/core';
import { createDeadLetterQueue, listChangeLogConsumers } from '@fraiseql/observers';
import type { Command } from '../command.js';
import { DATABASE_OPTION } from './common-options.js';
import { openDatabase } from '../context/open-database.js';
import { formatTable } from '../output/format-table.js';
import { print } from '../output/print.js';

/**
 * `fraiseql observers status`: change-log consumers' and change-log readers' progress and the
 * dead letters, from the database.
 */
export const observersStatusCommand: Command = {
  path: ['observers', 'status'],
  summary:
    'progress of each change-log consumer and reader, its backlog, and the dead letters per observer',
  options: DATABASE_OPTION,
  examples: ['fraiseql observers status', 'fraiseql observers status --json'],
  async run(context) {
    const db = await openDatabase(context);
    try {
      const head = await db.query<{ head: string | null }>(
        `SELECT max(pk_entity_change_log)::text AS head FROM ${CHANGE_LOG_TABLE}`,
      );
      const consumers = await listChangeLogConsumers(db);
      const readers = await listChangeLogReaders(db);
      const deadLetters = await createDeadLetterQueue(db).stats();
      const status = {
        headSeq: head.rows[0]?.head ?? null,
        consumers: consumers.map((c) => ({ ...c, cursorSeq: c.cursorSeq.toString() })),
        // Loaders that read the change log in pages (the ClickHouse sink's consumeChangeLog).
        readers: readers.map(({ position, lastSeq, ...r }) => ({
          ...r,
          lastSeq: lastSeq?.toString() ?? null,
          position: {
            transactionId: position.transactionId.toString(),
            seq: position.seq.toString(),
          },
        })),
        deadLetters,
      };
      print(context, status, () =>
        [
          `change log head: seq ${status.headSeq ?? '(empty)'}`,
          '',
          status.consumers.length === 0
            ? 'no change-log consumer has run yet\n'
            : formatTable(
                ['CONSUMER', 'CURSOR SEQ', 'UNCLAIMED', 'IN FLIGHT', 'OLDEST PENDING', 'UPDATED'],
                status.consumers.map((c) => [
                  c.consumer,
                  c.cursorSeq,
                  c.unclaimed,
                  c.inFlight,
                  c.oldestPendingSeconds === undefined
                    ? '-'
                    : `${c.oldestPendingSeconds.toFixed(1)}s`,
                  c.updatedAt,
                ]),
              ),
          ...(status.readers.length === 0
            ? []
            : [
                formatTable(
                  ['READER', 'LAST SEQ', 'BACKLOG', 'HELD BY', 'UPDATED'],
                  status.readers.map((r) => [
                    r.reader,
                    r.lastSeq ?? '-',
                    r.backlog,
                    r.heldBy ?? '-',
                    r.updatedAt,
                  ]),
                ),
              ]),
          `dead letters: ${String(deadLetters.total)}${Object.entries(deadLetters.byObserver)
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
