import { once, type EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort, spawnNode, startService, type StartedService } from '@fraiseql/testing';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActionRegistry } from '../src/actions/action-registry.js';
import type { EmailActionConfig } from '../src/config/action-config.js';
import { actionContext, orderEvent } from './actions-fixtures.js';

const cacheWorker = fileURLToPath(new URL('./fixtures/cache-redis-worker.mjs', import.meta.url));

describe('cache action: Redis down at start, lost mid-run, back (in a child process)', () => {
  let redis: StartedService;

  beforeAll(async () => {
    redis = await startService('redis');
  });

  afterAll(async () => {
    await redis.close();
  });

  it('fails retryably while Redis is away, reports redis:cache, and works again once it is back', async () => {
    await redis.stop();
    const child = spawnNode(cacheWorker, { env: { REDIS_URL: redis.url } });
    try {
      await child.waitForLine(/^fail network$|^fail redis$/);
      await child.waitForLine(/^health down$/);
      let after = child.lines.length;
      await redis.start();
      await child.waitForLine(/^ok$/, { after });
      await child.waitForLine(/^health up$/, { after });

      after = child.lines.length;
      await redis.stop('SIGKILL');
      await child.waitForLine(/^fail /, { after });
      await child.waitForLine(/^health reconnecting$/, { after });
      expect(child.child.exitCode).toBeNull();
      after = child.lines.length;
      await redis.start();
      await child.waitForLine(/^ok$/, { after });
      await child.waitForLine(/^health up$/, { after });
      expect(child.child.exitCode).toBeNull();
    } finally {
      await child.close();
    }
  });
});

describe('email action: SMTP server down at start, lost mid-run, back', () => {
  it('reports smtp down while unreachable and up once a send gets an answer', async () => {
    const port = await freePort();
    const registry = createActionRegistry();
    const email: EmailActionConfig = {
      type: 'email',
      smtp: { host: '127.0.0.1', port, secure: false },
      from: 'shop@example.com',
      to: 'ann@example.com',
      subject: 'order {{ entityId }}',
      text: 'hello',
      timeout: 2000,
    };
    const send = () => registry.execute(email, actionContext(orderEvent()));
    const smtp = () => registry.services().find((s) => s.name === 'smtp');
    const listen = async (): Promise<SMTPServer> => {
      const server = new SMTPServer({
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onData(stream, _session, callback) {
          stream.resume();
          stream.on('end', () => {
            callback();
          });
        },
      });
      server.listen(port, '127.0.0.1');
      await once(server.server as EventEmitter, 'listening');
      return server;
    };
    try {
      await expect(send()).rejects.toMatchObject({ retryable: true, errorType: 'network' });
      expect(smtp()).toMatchObject({ state: 'down', kind: 'smtp' });

      let server = await listen();
      await send();
      expect(smtp()?.state).toBe('up');

      await new Promise<void>((resolve) => {
        server.close(resolve);
      });
      await expect(send()).rejects.toMatchObject({ retryable: true, errorType: 'network' });
      expect(smtp()).toMatchObject({ state: 'down', outages: 1 });

      server = await listen();
      await send();
      expect(smtp()?.state).toBe('up');
      await new Promise<void>((resolve) => {
        server.close(resolve);
      });
    } finally {
      await registry.close();
    }
    expect(smtp()?.state).toBe('closed');
  });
});
