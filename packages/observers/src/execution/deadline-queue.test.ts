import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineQueue } from './deadline-queue.js';

function entry(log: string[], name: string) {
  return {
    expire: () => {
      log.push(name);
    },
  };
}

describe('DeadlineQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires entries at their own deadline, in order, and never a removed one', () => {
    const queue = new DeadlineQueue();
    const log: string[] = [];
    const a = entry(log, 'a');
    const b = entry(log, 'b');
    const c = entry(log, 'c');
    queue.add(a, 100);
    vi.advanceTimersByTime(30);
    queue.add(b, 100);
    vi.advanceTimersByTime(30);
    queue.add(c, 100);
    queue.remove(b, 100);
    vi.advanceTimersByTime(39);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['a']);
    vi.advanceTimersByTime(59);
    expect(log).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['a', 'c']);
    expect(queue.size).toBe(0);
  });

  it('keeps delays apart, and an entry added after its lane went idle still expires on time', () => {
    const queue = new DeadlineQueue();
    const log: string[] = [];
    const early = entry(log, 'early');
    queue.add(entry(log, 'slow'), 500);
    queue.add(early, 50);
    queue.remove(early, 50);
    vi.advanceTimersByTime(20);
    queue.add(entry(log, 'fast'), 50);
    vi.advanceTimersByTime(49);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['fast']);
    vi.advanceTimersByTime(430);
    expect(log).toEqual(['fast', 'slow']);
  });

  it('holds one timer per delay however many entries are pending', () => {
    const queue = new DeadlineQueue();
    const log: string[] = [];
    for (let i = 0; i < 1000; i += 1) queue.add(entry(log, String(i)), 1000);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(log).toHaveLength(1000);
    expect(vi.getTimerCount()).toBe(0);
  });
});
