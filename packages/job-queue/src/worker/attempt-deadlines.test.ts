import { afterEach, describe, expect, it, vi } from 'vitest';
import { AttemptDeadlines, MAX_DEADLINE_SLACK_MS } from './attempt-deadlines.js';

describe('AttemptDeadlines', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets attempts that start together share a signal, which aborts no earlier than the timeout of the last one', () => {
    vi.useFakeTimers();
    const deadlines = new AttemptDeadlines(new AbortController().signal);
    const first = deadlines.acquire(10_000);
    vi.advanceTimersByTime(MAX_DEADLINE_SLACK_MS - 1);
    const second = deadlines.acquire(10_000);
    expect(second.signal).toBe(first.signal);
    expect(deadlines.live).toBe(1);
    // The second attempt started 49 ms after the first: it still gets its full 10 s.
    vi.advanceTimersByTime(10_000);
    expect(second.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(second.signal.aborted).toBe(true);
    expect((second.signal.reason as Error).name).toBe('TimeoutError');
    first.release();
    second.release();
    expect(deadlines.live).toBe(0);
  });

  it('starts a new signal once the window has passed, for another timeout, and below 100 ms', () => {
    vi.useFakeTimers();
    const deadlines = new AttemptDeadlines(new AbortController().signal);
    const first = deadlines.acquire(10_000);
    expect(deadlines.acquire(5_000).signal).not.toBe(first.signal);
    vi.advanceTimersByTime(MAX_DEADLINE_SLACK_MS);
    expect(deadlines.acquire(10_000).signal).not.toBe(first.signal);
    const short = deadlines.acquire(99);
    expect(deadlines.acquire(99).signal).not.toBe(short.signal);
    vi.advanceTimersByTime(99);
    expect(short.signal.aborted).toBe(true);
  });

  it('clears the timer when the last attempt of a signal releases it', () => {
    vi.useFakeTimers();
    const deadlines = new AttemptDeadlines(new AbortController().signal);
    const a = deadlines.acquire(1_000);
    const b = deadlines.acquire(1_000);
    a.release();
    expect(vi.getTimerCount()).toBe(1);
    b.release();
    expect(vi.getTimerCount()).toBe(0);
    expect(deadlines.live).toBe(0);
    // A released signal is never handed out again.
    expect(deadlines.acquire(1_000).signal).not.toBe(a.signal);
  });

  it('aborts every live signal with the shutdown reason, and hands out aborted ones after', () => {
    const shutdown = new AbortController();
    const deadlines = new AttemptDeadlines(shutdown.signal);
    const a = deadlines.acquire(30_000);
    const b = deadlines.acquire(5_000);
    const reason = new Error('shutting down');
    shutdown.abort(reason);
    expect(a.signal.reason).toBe(reason);
    expect(b.signal.reason).toBe(reason);
    const late = deadlines.acquire(30_000);
    expect(late.signal.reason).toBe(reason);
    a.release();
    b.release();
    late.release();
    expect(deadlines.live).toBe(0);
  });

  it('lets many handlers listen to one shared signal without a listener warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const deadlines = new AttemptDeadlines(new AbortController().signal);
      const held = Array.from({ length: 50 }, () => deadlines.acquire(30_000));
      for (const { signal } of held) signal.addEventListener('abort', () => undefined);
      for (const deadline of held) deadline.release();
      // Warnings are emitted on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
