import { describe, expect, it } from 'vitest';
import type { BreakerState } from '../metrics/observer-metrics.js';
import { CircuitBreaker, type BreakerPermit } from './circuit-breaker.js';

function setup(options: ConstructorParameters<typeof CircuitBreaker>[1] = {}) {
  let now = 0;
  const states: BreakerState[] = [];
  const breaker = new CircuitBreaker('example.com', options, {
    now: () => now,
    onStateChange: (state) => states.push(state),
  });
  const permit = (): BreakerPermit => {
    const admission = breaker.tryAcquire();
    if (!admission.admitted) throw new Error(`refused, retry in ${admission.retryInMs}`);
    return admission.permit;
  };
  return { breaker, states, permit, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('stays closed until the window holds minimumCalls', () => {
    const { breaker, permit } = setup({ minimumCalls: 4, failureRate: 0.5 });
    for (let i = 0; i < 3; i += 1) permit().failure();
    expect(breaker.state).toBe('closed');
    permit().failure();
    expect(breaker.state).toBe('open');
  });

  it('opens on the failure rate, refuses while open, half-opens after the cool-down', () => {
    const { breaker, states, permit, advance } = setup({
      minimumCalls: 4,
      failureRate: 0.5,
      coolDown: 1000,
    });
    permit().success();
    permit().success();
    permit().failure();
    expect(breaker.state).toBe('closed');
    permit().failure(); // 2 of 4 = 50 %
    expect(breaker.state).toBe('open');
    const refused = breaker.tryAcquire();
    expect(refused).toEqual({ admitted: false, retryInMs: 1000 });
    advance(600);
    expect(breaker.tryAcquire()).toEqual({ admitted: false, retryInMs: 400 });
    advance(400);
    expect(breaker.state).toBe('half-open');
    const probe = permit();
    expect(breaker.tryAcquire().admitted).toBe(false); // one probe at a time
    probe.success();
    expect(breaker.state).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('reopens when a probe fails', () => {
    const { breaker, states, permit, advance } = setup({ minimumCalls: 1, coolDown: 10 });
    permit().failure();
    advance(10);
    permit().failure();
    expect(breaker.state).toBe('open');
    expect(states).toEqual(['open', 'half-open', 'open']);
  });

  it('forgets calls older than windowTime and beyond windowSize', () => {
    const { breaker, permit, advance } = setup({
      minimumCalls: 3,
      windowSize: 3,
      windowTime: 1000,
      failureRate: 1,
    });
    permit().failure();
    permit().failure();
    advance(1500);
    permit().failure(); // the first two left the window
    expect(breaker.state).toBe('closed');
    permit().success();
    permit().failure();
    permit().failure(); // window: success, failure, failure
    expect(breaker.state).toBe('closed');
    permit().failure(); // window: failure x3
    expect(breaker.state).toBe('open');
  });

  it('ignores released calls and late outcomes from before it opened', () => {
    const { breaker, permit } = setup({ minimumCalls: 2, failureRate: 1 });
    const late = permit();
    permit().release();
    permit().failure();
    expect(breaker.state).toBe('closed'); // the released call did not count
    permit().failure();
    expect(breaker.state).toBe('open');
    late.success();
    expect(breaker.state).toBe('open');
  });
});
