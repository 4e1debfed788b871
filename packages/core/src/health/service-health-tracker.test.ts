import { describe, expect, it } from 'vitest';
import type { ServiceHealth } from './service-health.js';
import { ServiceHealthTracker } from './service-health-tracker.js';

describe('ServiceHealthTracker', () => {
  it('reports transitions once, counts outages and keeps the last error after recovery', () => {
    const tracker = new ServiceHealthTracker({ name: 'pg', kind: 'postgres', target: 'db:5432' });
    const seen: ServiceHealth['state'][] = [];
    tracker.onChange((health) => seen.push(health.state));
    expect(tracker.snapshot()).toMatchObject({ state: 'down', outages: 0 });
    tracker.up();
    tracker.up();
    tracker.reconnecting(new Error('Connection terminated unexpectedly'));
    tracker.reconnecting(new Error('ECONNREFUSED'));
    tracker.up();
    tracker.down(new Error('again'));
    expect(seen).toEqual(['up', 'reconnecting', 'up', 'down']);
    const health = tracker.snapshot();
    expect(health).toMatchObject({
      name: 'pg',
      kind: 'postgres',
      target: 'db:5432',
      state: 'down',
      outages: 2,
      lastError: { message: 'again' },
    });
    tracker.up();
    expect(tracker.snapshot().lastError?.message).toBe('again');
    expect(tracker.services()).toEqual([tracker.snapshot()]);
  });

  it('stays closed and removes credentials from error messages', () => {
    const tracker = new ServiceHealthTracker({ name: 'r', kind: 'redis', initial: 'up' });
    tracker.down(new Error('connect to redis://user:s3cret@host:6379 failed'));
    expect(tracker.snapshot().lastError?.message).toBe('connect to redis://***@host:6379 failed');
    tracker.closed();
    tracker.up();
    tracker.down(new Error('late'));
    expect(tracker.snapshot()).toMatchObject({ state: 'closed', outages: 1 });
    expect(tracker.snapshot().lastError?.message).not.toContain('late');
  });

  it('survives a throwing listener', () => {
    const tracker = new ServiceHealthTracker({ name: 'n', kind: 'nats' });
    tracker.onChange(() => {
      throw new Error('listener bug');
    });
    const states: string[] = [];
    const off = tracker.onChange((health) => states.push(health.state));
    tracker.up();
    off();
    tracker.down();
    expect(states).toEqual(['up']);
    expect(tracker.state).toBe('down');
  });
});
