import { describe, expect, it } from 'vitest';
import { noopObserverMetrics } from '../metrics/observer-metrics.js';
import { WaitingRooms } from './waiting-room.js';

describe('WaitingRooms', () => {
  it('bounds the waits of each observer, reports them, and forgets an empty room', () => {
    const reported: [string, number][] = [];
    const rooms = new WaitingRooms(2, {
      ...noopObserverMetrics,
      observerWaiting: (name, count) => reported.push([name, count]),
    });
    const yes = () => true;
    const a1 = rooms.enter('a', { kind: 'breaker', endpoint: 'x.test' }, yes);
    const a2 = rooms.enter('a', { kind: 'retry' }, yes);
    expect(rooms.enter('a', { kind: 'retry' }, yes)).toBeUndefined();
    expect(rooms.enter('b', { kind: 'retry' }, yes)).toBeDefined();
    expect(rooms.counts()).toEqual({ a: 2, b: 1 });
    expect(rooms.health().find((h) => h.name === 'a')).toEqual({
      name: 'a',
      state: 'degraded',
      waiting: 2,
      openEndpoints: ['x.test'],
    });
    a1?.();
    a1?.(); // leaving twice counts once
    a2?.();
    expect(rooms.counts()).toEqual({ b: 1 });
    expect(reported.filter(([name]) => name === 'a').map(([, n]) => n)).toEqual([1, 2, 1, 0]);
  });

  it('refuses a wait whose handler slot cannot be given up', () => {
    const rooms = new WaitingRooms(10, noopObserverMetrics);
    expect(rooms.enter('a', { kind: 'retry' }, () => false)).toBeUndefined();
    expect(rooms.health()).toEqual([]);
  });
});
