import type { EntityEvent } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ObserverError, isObserverError } from '../errors.js';
import { createTemplateRenderer } from '../templates/create-template-renderer.js';
import type { ActionContext, ActionExecutor } from './action-executor.js';
import { createActionRegistry } from './action-registry.js';

const event: EntityEvent = {
  id: '7d4a6c1e-3a1b-4c59-9d1f-0f5e8b2a9c11',
  seq: 1n,
  eventType: 'INSERT',
  entityType: 'User',
  entityId: 'u1',
  data: { name: 'Ann' },
  timestamp: new Date('2026-01-01T00:00:00Z'),
};

const context = (overrides: Partial<ActionContext> = {}): ActionContext => ({
  event,
  observer: 'welcome',
  actionIndex: 1,
  attempt: 3,
  signal: new AbortController().signal,
  logger: {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  },
  ...overrides,
});

const newRegistry = () => createActionRegistry({ templates: createTemplateRenderer(), env: {} });

describe('createActionRegistry', () => {
  it('knows the built-in types with their schemas', async () => {
    await using registry = newRegistry();
    expect(registry.knownTypes()).toEqual(['cache', 'email', 'function', 'slack', 'webhook']);
    expect(
      registry.schemaFor('webhook')?.safeParse({ type: 'webhook', url: 'https://x.example' })
        .success,
    ).toBe(true);
  });

  it('calls a registered function with the event and the attempt context', async () => {
    await using registry = newRegistry();
    const calls: unknown[] = [];
    registry.registerFunction('greet', (received, ctx) => {
      calls.push([received, ctx.observer, ctx.actionIndex, ctx.attempt, ctx.signal.aborted]);
      return `greeted ${received.entityId}`;
    });
    const result = await registry.execute({ type: 'function', name: 'greet' }, context());
    expect(result.summary).toBe('greeted u1');
    expect(calls).toEqual([[event, 'welcome', 1, 3, false]]);
    expect(registry.functionNames()).toEqual(['greet']);
  });

  it('registerAction is the same registration', async () => {
    await using registry = newRegistry();
    let called = 0;
    registry.registerAction('count', async () => {
      called += 1;
      await Promise.resolve();
    });
    await registry.execute({ type: 'function', name: 'count' }, context());
    expect(called).toBe(1);
    expect(() => {
      registry.registerFunction('count', () => undefined);
    }).toThrow(/already registered/);
  });

  it('reports handler failures: plain errors retryable, ObserverErrors as thrown', async () => {
    await using registry = newRegistry();
    registry.registerFunction('flaky', () => {
      throw new Error('db down');
    });
    registry.registerFunction('invalid', () => {
      throw new ObserverError('ACTION_FAILED', 'bad input', {
        retryable: false,
        errorType: 'handler',
      });
    });
    await expect(
      registry.execute({ type: 'function', name: 'flaky' }, context()),
    ).rejects.toMatchObject({
      retryable: true,
      errorType: 'handler',
      message: 'function "flaky" threw: db down',
    });
    await expect(
      registry.execute({ type: 'function', name: 'invalid' }, context()),
    ).rejects.toMatchObject({
      retryable: false,
      message: 'bad input',
    });
  });

  it('stops waiting for a handler that ignores the signal', async () => {
    await using registry = newRegistry();
    registry.registerFunction('stuck', () => new Promise<void>(() => undefined));
    const controller = new AbortController();
    const pending = registry.execute(
      { type: 'function', name: 'stuck' },
      context({ signal: controller.signal }),
    );
    controller.abort(new DOMException('action timeout', 'TimeoutError'));
    await expect(pending).rejects.toMatchObject({
      code: 'ACTION_TIMEOUT',
      errorType: 'timeout',
      retryable: true,
    });
  });

  it('fails permanently for an unknown function, an unknown type and an extension type', async () => {
    await using registry = newRegistry();
    await expect(
      registry.execute({ type: 'function', name: 'nope' }, context()),
    ).rejects.toMatchObject({
      code: 'ACTION_UNSUPPORTED',
      retryable: false,
    });
    const unknown: unknown = await registry
      .execute({ type: 'fax' }, context())
      .catch((e: unknown) => e);
    expect(isObserverError(unknown, 'ACTION_UNSUPPORTED')).toBe(true);
    expect((unknown as Error).message).toBe(
      'action type "fax" is not supported; known types: cache, email, function, slack, webhook',
    );
    await expect(registry.execute({ type: 'search' }, context())).rejects.toThrow(
      'action type "search" needs @fraiseql/elasticsearch: npm install @fraiseql/elasticsearch',
    );
  });

  it('lets other packages register a type with its schema, once', async () => {
    await using registry = newRegistry();
    const seen: string[] = [];
    const enqueue: ActionExecutor<{ type: 'enqueue'; queue: string }> = {
      type: 'enqueue',
      execute: (config) => {
        seen.push(config.queue);
        return Promise.resolve({ summary: `queued on ${config.queue}` });
      },
      endpoint: (config) => `queue:${config.queue}`,
    };
    const schema = z.object({ type: z.literal('enqueue'), queue: z.string() });
    registry.register(enqueue, schema);
    expect(registry.knownTypes()).toContain('enqueue');
    expect(registry.schemaFor('enqueue')).toBe(schema);
    const config = { type: 'enqueue', queue: 'mail' };
    expect((await registry.execute(config, context())).summary).toBe('queued on mail');
    expect(registry.endpoint(config)).toBe('queue:mail');
    expect(seen).toEqual(['mail']);
    expect(() => {
      registry.register(enqueue);
    }).toThrow(/already registered/);
  });

  it('gives HTTP actions their host as breaker endpoint, without path or query', async () => {
    await using registry = newRegistry();
    expect(
      registry.endpoint({
        type: 'webhook',
        url: 'https://hooks.example.com:8443/a/b?k=1',
      }),
    ).toBe('hooks.example.com:8443');
    expect(registry.endpoint({ type: 'function', name: 'x' })).toBeUndefined();
  });

  it('closes its executors and refuses work afterwards', async () => {
    const registry = newRegistry();
    let closed = 0;
    registry.register({
      type: 'probe',
      execute: () => Promise.resolve({ summary: 'ok' }),
      close: () => {
        closed += 1;
        return Promise.resolve();
      },
    });
    await registry.close();
    await registry.close();
    expect(closed).toBe(1);
    await expect(registry.execute({ type: 'probe' }, context())).rejects.toMatchObject({
      code: 'CLOSED',
    });
  });

  it('fails a cache action without any Redis URL as a config error', async () => {
    await using registry = newRegistry();
    await expect(registry.execute({ type: 'cache', keys: ['k'] }, context())).rejects.toMatchObject(
      {
        code: 'CONFIG_INVALID',
        retryable: false,
      },
    );
  });
});
