import type { EntityEvent, EventType } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';

import { validateObserversConfig } from '../config/load-observers-config.js';
import type { ObserversConfigInput } from '../config/observers-config.js';
import type { ObserverLookup } from '../execution/executable-observer.js';
import { isObserverError } from '../errors.js';
import { createObserverDefinitions } from './observer-definition.js';
import { createMatcher } from './observer-matcher.js';

function definitions(observers: ObserversConfigInput['observers']) {
  return createObserverDefinitions(validateObserversConfig({ observers }, { env: {} }));
}

const fn = (name: string) => [{ type: 'function' as const, name }];

function event(
  eventType: EventType,
  entityType: string,
  data: Record<string, number> = {},
): EntityEvent {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    seq: 1n,
    eventType,
    entityType,
    entityId: '1',
    data,
    timestamp: new Date(0),
  };
}

const names = (list: readonly { name: string }[]): string[] => list.map((item) => item.name);

const base = definitions({
  orders: { entity: 'Order', events: ['INSERT', 'UPDATE'], actions: fn('a') },
  everything: { entity: '*', events: ['DELETE', 'INSERT'], actions: fn('b') },
  bigOrders: {
    entity: 'Order',
    events: ['INSERT'],
    condition: 'data.total > 100',
    actions: fn('c'),
  },
  users: { entity: 'User', events: ['UPDATE'], actions: fn('d'), enabled: false },
});

describe('createMatcher', () => {
  it('matches by event kind and entity, with * for every entity, in config order', () => {
    const matcher = createMatcher(base);
    expect(names(matcher.match(event('INSERT', 'Order', { total: 500 })))).toEqual([
      'orders',
      'everything',
      'bigOrders',
    ]);
    expect(names(matcher.match(event('INSERT', 'Order', { total: 5 })))).toEqual([
      'orders',
      'everything',
    ]);
    expect(names(matcher.match(event('UPDATE', 'Order')))).toEqual(['orders']);
    expect(names(matcher.match(event('DELETE', 'Invoice')))).toEqual(['everything']);
    expect(names(matcher.match(event('UPDATE', 'Invoice')))).toEqual([]);
    expect(names(matcher.match(event('CUSTOM', 'Order')))).toEqual([]);
    // Disabled in the file: never matched.
    expect(names(matcher.match(event('UPDATE', 'User')))).toEqual([]);
  });

  it('disables, enables, pauses and resumes at runtime', () => {
    const matcher = createMatcher(base);
    const insert = event('INSERT', 'Order', { total: 500 });
    const seen: string[] = [];
    matcher.onStateChange((name, state) => seen.push(`${name}:${state}`));

    matcher.disable('orders');
    expect(names(matcher.match(insert))).toEqual(['everything', 'bigOrders']);
    expect(names(matcher.matchAll(insert))).toEqual(['everything', 'bigOrders']);

    matcher.enable('orders');
    matcher.pause('everything');
    expect(names(matcher.match(insert))).toEqual(['orders', 'bigOrders']);
    expect(matcher.matchAll(insert).map((m) => `${m.name}:${m.state}`)).toEqual([
      'orders:running',
      'everything:paused',
      'bigOrders:running',
    ]);

    matcher.resume('everything');
    matcher.enable('users');
    expect(names(matcher.match(insert))).toEqual(['orders', 'everything', 'bigOrders']);
    expect(names(matcher.match(event('UPDATE', 'User')))).toEqual(['users']);
    expect(seen).toEqual([
      'orders:disabled',
      'orders:running',
      'everything:paused',
      'everything:running',
      'users:running',
    ]);
    expect(matcher.list().map((status) => `${status.name}:${status.state}`)).toEqual([
      'orders:running',
      'everything:running',
      'bigOrders:running',
      'users:running',
    ]);
  });

  it('keeps a paused observer paused while disabled and re-enabled', () => {
    const matcher = createMatcher(base);
    matcher.pause('orders');
    matcher.disable('orders');
    expect(matcher.state('orders')).toBe('disabled');
    matcher.enable('orders');
    expect(matcher.state('orders')).toBe('paused');
  });

  it('rejects unknown names', () => {
    const matcher = createMatcher(base);
    expect(() => {
      matcher.pause('nope');
    }).toThrow(/no observer named "nope" \(loaded: orders, everything, bigOrders, users\)/);
    try {
      matcher.enable('nope');
    } catch (error) {
      expect(isObserverError(error, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('lets a caller hold events of a paused observer until it resumes', async () => {
    const matcher = createMatcher(base);
    matcher.pause('orders');
    const waiting = matcher.whenRunning('orders');
    let settled: string | undefined;
    void waiting.then((state) => (settled = state));
    await Promise.resolve();
    expect(settled).toBeUndefined();
    matcher.resume('orders');
    await expect(waiting).resolves.toBe('running');
    await expect(matcher.whenRunning('orders')).resolves.toBe('running');

    matcher.pause('orders');
    const disabled = matcher.whenRunning('orders');
    matcher.disable('orders');
    await expect(disabled).resolves.toBe('disabled');

    matcher.enable('orders');
    const aborted = new AbortController();
    const cancelled = matcher.whenRunning('orders', { signal: aborted.signal });
    aborted.abort(new Error('shutting down'));
    await expect(cancelled).rejects.toThrow('shutting down');
    await expect(matcher.whenRunning('nope')).resolves.toBe('removed');
  });

  it('replaces observers atomically, keeping runtime states of observers that stay', async () => {
    const matcher = createMatcher(base);
    matcher.pause('orders');
    matcher.disable('everything');
    const waiting = matcher.whenRunning('orders');
    matcher.pause('bigOrders');
    const removedWait = matcher.whenRunning('bigOrders');
    const seen: string[] = [];
    matcher.onStateChange((name, state) => seen.push(`${name}:${state}`));

    const next = definitions({
      orders: {
        entity: 'Order',
        events: ['INSERT'],
        condition: 'data.total > 1',
        actions: fn('a2'),
      },
      everything: { entity: '*', events: ['INSERT'], actions: fn('b') },
      users: { entity: 'User', events: ['UPDATE'], actions: fn('d'), enabled: true },
      fresh: { entity: 'Order', events: ['INSERT'], actions: fn('e') },
    });
    const insert = event('INSERT', 'Order', { total: 5 });
    const before = matcher.match(insert);
    matcher.replace(next);
    const after = matcher.match(insert);

    expect(names(before)).toEqual([]);
    // orders stays paused, everything stays disabled, fresh starts running.
    expect(names(after)).toEqual(['fresh']);
    expect(matcher.state('orders')).toBe('paused');
    expect(matcher.state('everything')).toBe('disabled');
    // users: the file changed `enabled`, so the file wins.
    expect(matcher.state('users')).toBe('running');
    expect(matcher.get('bigOrders')).toBeUndefined();
    expect(matcher.get('orders')?.actions).toEqual([{ type: 'function', name: 'a2' }]);
    await expect(removedWait).resolves.toBe('removed');
    expect(seen).toEqual(['bigOrders:removed', 'users:running', 'fresh:running']);

    matcher.resume('orders');
    await expect(waiting).resolves.toBe('running');
    expect(names(matcher.match(insert))).toEqual(['orders', 'fresh']);
  });

  it('keeps the old set when a replacement has duplicate names', () => {
    const matcher = createMatcher(base);
    const [first] = base;
    expect(() => {
      matcher.replace([first!, first!]);
    }).toThrow(/defined twice/);
    expect(matcher.list()).toHaveLength(4);
  });

  it('fits the executor lookup contract', () => {
    const lookup: ObserverLookup = createMatcher(base);
    expect(lookup.get?.('orders')?.name).toBe('orders');
  });
});
