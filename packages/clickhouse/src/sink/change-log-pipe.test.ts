import type { ChangeLogPosition, ChangeLogReader, ChangeLogReaderPage } from '@fraiseql/core';
import { silentLogger } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import { startChangeLogPipe } from './change-log-pipe.js';

const at = (seq: bigint): ChangeLogPosition => ({ transactionId: 1n, seq });

/** A reader over fixed pages that waits (until aborted) once they are read. */
function fakeReader(pages: readonly ChangeLogReaderPage[]) {
  const calls: string[] = [];
  let next = 0;
  let committed: ChangeLogPosition | undefined = at(0n);
  const reader: ChangeLogReader = {
    reader: 'fake',
    get committed() {
      return committed;
    },
    acquire: () => {
      calls.push('acquire');
      return Promise.resolve(committed ?? at(0n));
    },
    read: (signal) => {
      const page = pages[next];
      if (page !== undefined) {
        next++;
        calls.push(`read ${String(page.end.seq)}`);
        return Promise.resolve(page);
      }
      return new Promise((_, reject) => {
        signal?.addEventListener('abort', () => {
          reject(signal.reason as Error);
        });
      });
    },
    readText: () => Promise.reject(new Error('not read as text here')),
    commit: (position) => {
      calls.push(`commit ${String(position.seq)}`);
      committed = position;
      return Promise.resolve();
    },
    rewind: () => {
      calls.push('rewind');
      next = pages.findIndex((page) => page.end.seq > (committed?.seq ?? 0n));
    },
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return { reader, calls };
}

const page = (seq: bigint): ChangeLogReaderPage => ({ events: [], malformed: [], end: at(seq) });

describe('startChangeLogPipe', () => {
  it('commits pages in order once stored, and reads a failed page again without new rows', async () => {
    const { reader, calls } = fakeReader([page(1n), page(2n)]);
    let attempts = 0;
    const pipe = startChangeLogPipe({
      reader,
      store: (stored) => {
        attempts++;
        // The first store of page 2 fails for good; everything else is stored.
        const fails = stored.end.seq === 2n && attempts === 2;
        return Promise.resolve({
          stored: fails ? Promise.reject(new Error('refused')) : Promise.resolve(),
        });
      },
      flush: () => Promise.resolve(),
      retry: { initialDelay: 1, maxDelay: 5 },
      logger: silentLogger,
    });
    const deadline = Date.now() + 5000;
    while (reader.committed?.seq !== 2n && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await pipe.close();
    expect(calls).toEqual([
      'acquire',
      'read 1',
      'read 2',
      'commit 1',
      'rewind',
      'acquire',
      'read 2',
      'commit 2',
    ]);
  });
});
