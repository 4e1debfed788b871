import { describe, expect, it } from 'vitest';
import { createMemoryDedupStore } from './memory-dedup-store.js';

describe('createMemoryDedupStore', () => {
  it('grants one claim at a time and frees it on release or expiry', async () => {
    let now = 0;
    const store = createMemoryDedupStore({ now: () => now });
    const first = await store.claim('e1:o', 1000);
    expect(first.claimed).toBe(true);
    expect((await store.claim('e1:o', 1000)).claimed).toBe(false);
    if (!first.claimed) throw new Error('unreachable');
    await store.release('e1:o', 'someone-else');
    expect((await store.claim('e1:o', 1000)).claimed).toBe(false);
    await store.release('e1:o', first.token);
    const second = await store.claim('e1:o', 1000);
    expect(second.claimed).toBe(true);
    now += 1001;
    expect((await store.claim('e1:o', 1000)).claimed).toBe(true);
  });

  it('remembers finished actions until they expire', async () => {
    let now = 0;
    const store = createMemoryDedupStore({ now: () => now });
    await store.complete('e1:o', 0, 'POST example.com 204', 500);
    await store.complete('e1:o', 2, 'done', 500);
    const claim = await store.claim('e1:o', 1000);
    expect([...claim.completed]).toEqual([
      [0, 'POST example.com 204'],
      [2, 'done'],
    ]);
    now += 501;
    expect((await store.claim('e2:o', 1000)).completed.size).toBe(0);
    expect((await store.claim('e1:o-other', 1000)).completed.size).toBe(0);
  });

  it('evicts the least recently used record beyond maxEntries and counts it', async () => {
    let evictions = 0;
    const store = createMemoryDedupStore({
      maxEntries: 2,
      metrics: { cacheEviction: () => (evictions += 1) },
    });
    await store.complete('a', 0, 'x', 60_000);
    await store.complete('b', 0, 'x', 60_000);
    await store.claim('a', 1); // touches a: b is now the oldest
    await store.complete('c', 0, 'x', 60_000);
    expect(evictions).toBe(1);
    expect((await store.claim('a', 1)).completed.size).toBe(1);
    expect((await store.claim('b', 1)).completed.size).toBe(0);
  });
});
