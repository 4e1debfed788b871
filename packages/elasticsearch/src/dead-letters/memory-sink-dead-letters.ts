import { randomUUID } from 'node:crypto';

import type { SinkDeadLetter, SinkDeadLetters, StoredSinkDeadLetter } from './sink-dead-letters.js';

/** Dead letters kept in this process only (tests, the zero-setup server): lost on restart. */
export function createMemorySinkDeadLetters(): SinkDeadLetters & {
  readonly items: readonly StoredSinkDeadLetter[];
} {
  const items: StoredSinkDeadLetter[] = [];
  return {
    items,
    add(added: readonly SinkDeadLetter[]) {
      for (const item of added) items.push({ ...item, id: randomUUID(), createdAt: new Date() });
      return Promise.resolve();
    },
    list({ limit = 100, offset = 0 } = {}) {
      return Promise.resolve([...items].reverse().slice(offset, offset + limit));
    },
    count: () => Promise.resolve(items.length),
    remove(ids) {
      const wanted = new Set(ids);
      let removed = 0;
      for (let i = items.length - 1; i >= 0; i -= 1) {
        const item = items[i];
        if (item !== undefined && wanted.has(item.id)) {
          items.splice(i, 1);
          removed += 1;
        }
      }
      return Promise.resolve(removed);
    },
  };
}
