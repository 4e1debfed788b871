import { eventFromJson } from '@fraiseql/core';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createNatsBridge, type NatsBridgeOptions } from '../src/index.js';
import { makeEvent, natsNames, natsProbe, type NatsNames } from './fixtures/nats-events.js';
import { MemorySource } from './fixtures/nats-memory-source.js';

const nats = await requireService('nats');

describe.skipIf(nats === undefined)('NATS bridge (in-memory stand-in for the change log)', () => {
  const url = nats?.url ?? '';
  const cleanup: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function probeFor(names: NatsNames) {
    const probe = await natsProbe(url, names);
    cleanup.push(() => probe.close());
    return probe;
  }

  function bridgeOptions(names: NatsNames, source: MemorySource): NatsBridgeOptions {
    return { servers: url, stream: names.stream, subjectPrefix: names.subjectPrefix, source };
  }

  it('publishes each event to {prefix}.{entityType}.{eventType} with Nats-Msg-Id = event id', async () => {
    const names = natsNames();
    const probe = await probeFor(names);
    const events = [
      makeEvent({ entityType: 'Order', eventType: 'INSERT' }),
      makeEvent({ entityType: 'Order', eventType: 'UPDATE', changes: { s: { old: 1, new: 2 } } }),
      makeEvent({ entityType: 'customer', eventType: 'DELETE', tenantId: 't1', userId: 'u9' }),
      makeEvent({ entityType: 'sales.line item', eventType: 'CUSTOM' }),
    ];
    const source = new MemorySource(events);
    const bridge = createNatsBridge(bridgeOptions(names, source));
    cleanup.push(() => bridge.close());
    await bridge.start();
    await source.drained();
    expect(source.done).toEqual(events.map((e) => e.id));
    const stored = await probe.messages(names.stream);
    expect(stored.map((m) => m.subject)).toEqual([
      `${names.subjectPrefix}.Order.INSERT`,
      `${names.subjectPrefix}.Order.UPDATE`,
      `${names.subjectPrefix}.customer.DELETE`,
      `${names.subjectPrefix}.sales_line_item.CUSTOM`,
    ]);
    expect(stored.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual(events.map((e) => e.id));
    expect(stored.map((m) => eventFromJson(m.data))).toEqual(events);
    expect(bridge.stats()).toMatchObject({ published: 4, duplicates: 0, failed: 0, pending: 0 });
  });

  it('creates the stream with the configured duplicate window, age and size limits, and updates it', async () => {
    const names = natsNames();
    const probe = await probeFor(names);
    const options = {
      ...bridgeOptions(names, new MemorySource([])),
      duplicateWindow: '90s',
      maxAge: '1d',
      maxMessages: 5_000,
      maxBytes: 8_000_000,
    };
    const first = createNatsBridge(options);
    await first.start();
    await first.close();
    let info = await probe.jsm.streams.info(names.stream);
    expect(info.config).toMatchObject({
      subjects: [`${names.subjectPrefix}.>`],
      duplicate_window: 90_000_000_000,
      max_age: 86_400_000_000_000,
      max_msgs: 5_000,
      max_bytes: 8_000_000,
      storage: 'file',
    });
    const second = createNatsBridge({
      ...options,
      source: new MemorySource([]),
      maxAge: '2d',
      maxMessages: -1,
    });
    await second.start();
    await second.close();
    info = await probe.jsm.streams.info(names.stream);
    expect(info.config.max_age).toBe(172_800_000_000_000);
    expect(info.config.max_msgs).toBe(-1);
    expect(info.config.duplicate_window).toBe(90_000_000_000);
  });

  it('keeps many publishes in flight, bounded by maxPendingPublishes', async () => {
    const names = natsNames();
    const probe = await probeFor(names);
    const events = Array.from({ length: 2_000 }, () => makeEvent());
    const source = new MemorySource(events);
    const bridge = createNatsBridge({ ...bridgeOptions(names, source), maxPendingPublishes: 32 });
    cleanup.push(() => bridge.close());
    await bridge.start();
    await source.drained();
    expect(source.startedWith).toBe(32);
    expect(source.maxConcurrent).toBeGreaterThan(1);
    expect(source.done).toHaveLength(2_000);
    expect((await probe.jsm.streams.info(names.stream)).state.messages).toBe(2_000);
  });

  it('stores a republished event once within the duplicate window', async () => {
    const names = natsNames();
    const probe = await probeFor(names);
    const events = Array.from({ length: 50 }, () => makeEvent());
    const first = new MemorySource(events);
    const bridge = createNatsBridge(bridgeOptions(names, first));
    await bridge.start();
    await first.drained();
    await bridge.close();
    // The same events again, as after a crash that lost the saved progress.
    const again = new MemorySource(events);
    const replay = createNatsBridge(bridgeOptions(names, again));
    cleanup.push(() => replay.close());
    await replay.start();
    await again.drained();
    expect(again.done).toHaveLength(50);
    expect(replay.stats()).toMatchObject({ published: 0, duplicates: 50 });
    expect((await probe.jsm.streams.info(names.stream)).state.messages).toBe(50);
  });

  it('loses and duplicates nothing when it crashes mid-stream and restarts from saved progress', async () => {
    const names = natsNames();
    const probe = await probeFor(names);
    const events = Array.from({ length: 3_000 }, () => makeEvent());
    const first = new MemorySource(events);
    const crashed = createNatsBridge({ ...bridgeOptions(names, first), maxPendingPublishes: 64 });
    await crashed.start();
    await waitFor(() => first.done.length >= 200, { message: '200 events bridged' });
    first.crash(); // unsettled deliveries are forgotten, as if the process died
    await crashed.close();
    const saved = [...first.done];
    expect(saved.length).toBeLessThan(events.length);

    const second = new MemorySource(events, saved);
    const restarted = createNatsBridge(bridgeOptions(names, second));
    cleanup.push(() => restarted.close());
    await restarted.start();
    await second.drained();
    expect(second.done).toHaveLength(events.length - saved.length);
    // Publishes in flight at the crash reached the stream without being saved as progress:
    // the restarted bridge sends them again and the stream drops them by Nats-Msg-Id.
    expect(restarted.stats().duplicates).toBeGreaterThan(0);
    expect(restarted.stats().published + restarted.stats().duplicates).toBe(second.done.length);
    const stored = await probe.messages(names.stream);
    const ids = stored.map((m) => m.headers?.get('Nats-Msg-Id'));
    expect(ids).toHaveLength(events.length);
    expect(new Set(ids).size).toBe(events.length);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
  });

  it('settles an event larger than the server max_payload as dead, and goes on', async () => {
    const names = natsNames();
    const probe = await probeFor(names);
    const huge = makeEvent({ data: { blob: 'x'.repeat(2 * 1024 * 1024) } });
    const small = makeEvent();
    const source = new MemorySource([huge, small]);
    const bridge = createNatsBridge(bridgeOptions(names, source));
    cleanup.push(() => bridge.close());
    await bridge.start();
    await source.drained();
    expect(source.done).toEqual([small.id]);
    const dead = source.outcomes.find((o) => o.id === huge.id)?.outcome;
    expect(dead).toMatchObject({ status: 'dead', error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(bridge.stats().rejected).toBe(1);
    expect((await probe.jsm.streams.info(names.stream)).state.messages).toBe(1);
  });

  it('rejects an unreachable server with TRANSPORT_UNAVAILABLE', async () => {
    const names = natsNames();
    const bridge = createNatsBridge({
      ...bridgeOptions(names, new MemorySource([])),
      servers: 'nats://127.0.0.1:1',
    });
    await expect(bridge.start()).rejects.toMatchObject({
      code: 'TRANSPORT_UNAVAILABLE',
      retryable: true,
    });
    await bridge.close();
  });
});
