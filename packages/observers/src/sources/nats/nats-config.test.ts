import { describe, expect, it } from 'vitest';
import { isObserverError } from '../../errors.js';
import { parseNatsConfig } from './nats-config.js';

describe('parseNatsConfig', () => {
  it('fills in defaults, with durations in milliseconds', () => {
    const config = parseNatsConfig({});
    expect(config).toMatchObject({
      servers: ['nats://127.0.0.1:4222'],
      stream: 'FRAISEQL_EVENTS',
      subjectPrefix: 'fraiseql.events',
      duplicateWindow: 120_000,
      maxAge: 604_800_000,
      maxMessages: -1,
      maxBytes: -1,
      durable: 'fraiseql-observers',
      ackWait: 30_000,
      maxDeliver: 5,
      deadLetterSubject: 'fraiseql.events_dlq',
      deadLetterStream: 'FRAISEQL_EVENTS_DLQ',
      nakDelay: 1_000,
      nakBackoff: 'exponential',
      batchSize: 64,
      maxPendingPublishes: 256,
    });
  });

  it('accepts duration text and a list of servers', () => {
    const config = parseNatsConfig({
      servers: ['nats://a:4222', 'nats://b:4222'],
      duplicateWindow: '5m',
      maxAge: '1d',
      ackWait: '1m30s',
      stream: 'ORDERS',
    });
    expect(config.servers).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(config.duplicateWindow).toBe(300_000);
    expect(config.maxAge).toBe(86_400_000);
    expect(config.ackWait).toBe(90_000);
    expect(config.deadLetterStream).toBe('ORDERS_DLQ');
  });

  it('names every offending option by its path', () => {
    let error: unknown;
    try {
      parseNatsConfig({ subjectPrefix: 'orders.*', maxDeliver: 0, ackWait: 'soon', maxBytes: 0 });
    } catch (caught) {
      error = caught;
    }
    expect(isObserverError(error, 'CONFIG_INVALID')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('nats.subjectPrefix: expected a NATS subject');
    expect(message).toContain('nats.maxDeliver');
    expect(message).toContain('nats.ackWait: expected a duration');
    expect(message).toContain('nats.maxBytes: expected -1 (unlimited) or a positive integer');
  });

  it('rejects a dead-letter subject inside the event subjects', () => {
    expect(() =>
      parseNatsConfig({ subjectPrefix: 'app.events', deadLetterSubject: 'app.events.dlq' }),
    ).toThrow('nats.deadLetterSubject: must lie outside the event subjects "app.events.>"');
  });

  it('rejects a duplicate window longer than the max age', () => {
    expect(() => parseNatsConfig({ duplicateWindow: '2h', maxAge: '1h' })).toThrow(
      'nats.duplicateWindow: must not be longer than maxAge',
    );
    expect(parseNatsConfig({ duplicateWindow: '2h', maxAge: 0 }).duplicateWindow).toBe(7_200_000);
  });

  it('keeps pull requests at least one second long', () => {
    expect(() => parseNatsConfig({ fetchExpires: '200ms' })).toThrow(
      'nats.fetchExpires: expected at least 1s',
    );
  });

  it('reports a misspelt option instead of ignoring it', () => {
    expect(() => parseNatsConfig({ ackwait: '10s' })).toThrow('nats: Unrecognized key: "ackwait"');
    expect(parseNatsConfig({ kind: 'nats', durable: 'mailer' }).durable).toBe('mailer');
  });
});
