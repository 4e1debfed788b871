import { describe, expect, it } from 'vitest';
import { attemptSignal, timeoutMs } from './attempt-signal.js';

describe('attemptSignal', () => {
  it('aborts with a TimeoutError when the time is up', async () => {
    using attempt = attemptSignal(new AbortController().signal, 20);
    await new Promise((resolve) => {
      attempt.signal.addEventListener('abort', resolve, { once: true });
    });
    expect((attempt.signal.reason as Error).name).toBe('TimeoutError');
  });

  it("aborts with the parent's reason, including a parent aborted already", () => {
    const parent = new AbortController();
    const attempt = attemptSignal(parent.signal, 60_000);
    const reason = new Error('shutdown');
    parent.abort(reason);
    expect(attempt.signal.reason).toBe(reason);
    attempt[Symbol.dispose]();
    expect(attemptSignal(parent.signal, 60_000).signal.reason).toBe(reason);
  });

  it('leaves the parent untouched once disposed', () => {
    const parent = new AbortController();
    const attempt = attemptSignal(parent.signal, 60_000);
    attempt[Symbol.dispose]();
    parent.abort(new Error('later'));
    expect(attempt.signal.aborted).toBe(false);
  });
});

describe('timeoutMs', () => {
  it('accepts milliseconds, duration text and nothing', () => {
    expect(timeoutMs(250, 10_000)).toBe(250);
    expect(timeoutMs('2s', 10_000)).toBe(2_000);
    expect(timeoutMs(undefined, 10_000)).toBe(10_000);
    expect(() => timeoutMs('soon', 10_000)).toThrow(/timeout/);
  });
});
