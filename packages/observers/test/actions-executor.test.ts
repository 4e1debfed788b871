import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createActionRegistry,
  type ActionRegistry,
  type AnyActionConfig,
} from '../src/actions/action-registry.js';
import type { ExecutableObserver } from '../src/execution/executable-observer.js';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import { orderEvent } from './actions-fixtures.js';
import { startHttpReceiver, type HttpReceiver } from './actions-http-receiver.js';

describe('action registry under the observer executor (local HTTP receiver)', () => {
  let receiver: HttpReceiver;
  let registry: ActionRegistry;
  const secret = `whsec_${randomBytes(32).toString('base64')}`;

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    registry = createActionRegistry();
    registry.registerFunction('noop', () => undefined);
  });
  afterAll(async () => {
    await registry.close();
    await receiver.close();
  });

  const observer = (path: string, timeout = 5_000): ExecutableObserver => {
    const actions: AnyActionConfig[] = [
      { type: 'function', name: 'noop' },
      {
        type: 'webhook',
        url: `${receiver.url}${path}`,
        method: 'POST',
        headers: {},
        body: { order: '{{ entityId }}', status: '{{ changes.status.new }}' },
        timeout,
        signing: { secrets: [secret] },
        allowHosts: ['127.0.0.1'],
      },
    ];
    return {
      name: 'order-shipped',
      onFailure: 'log',
      retry: {
        strategy: 'fixed',
        maxAttempts: 3,
        initialDelay: 5,
        maxDelay: 5,
        maxElapsed: 60_000,
      },
      actions,
    };
  };

  it('retries a 5xx with the same webhook-id and a fresh valid signature until 2xx', async () => {
    let calls = 0;
    receiver.respond((_req, res) => {
      calls += 1;
      res.writeHead(calls < 3 ? 503 : 204).end();
    });
    const event = orderEvent();
    const handle = createObserverExecutor({
      matcher: { match: () => [observer('/retry')] },
      registry,
    });
    await handle(event);
    await handle.close();
    const attempts = receiver.requests.filter((request) => request.path === '/retry');
    expect(attempts).toHaveLength(3);
    for (const attempt of attempts) {
      const headers = {
        'webhook-id': String(attempt.headers['webhook-id']),
        'webhook-timestamp': String(attempt.headers['webhook-timestamp']),
        'webhook-signature': String(attempt.headers['webhook-signature']),
      };
      expect(headers['webhook-id']).toBe(`${event.id}:order-shipped:1`);
      expect(new Webhook(secret).verify(attempt.body, headers)).toEqual({
        order: 'ord_1',
        status: 'shipped',
      });
    }
  });

  it('does not retry a permanent 4xx', async () => {
    receiver.respond((_req, res) => res.writeHead(422).end());
    const alerts: unknown[] = [];
    const handle = createObserverExecutor({
      matcher: { match: () => [{ ...observer('/permanent'), onFailure: 'alert' }] },
      registry,
      onAlert: (alert) => {
        alerts.push(alert);
      },
    });
    await handle(orderEvent());
    await handle.close();
    expect(receiver.requests.filter((request) => request.path === '/permanent')).toHaveLength(1);
    expect(alerts).toHaveLength(1);
  });

  it("retries an attempt the action's own timeout cut short", async () => {
    receiver.respond((req, res) => {
      if (req.path === '/slow') return; // never answers
      res.writeHead(204).end();
    });
    const handle = createObserverExecutor({
      matcher: { match: () => [observer('/slow', 100)] },
      registry,
    });
    await handle(orderEvent());
    await handle.close();
    expect(receiver.requests.filter((request) => request.path === '/slow')).toHaveLength(3);
  });
});
