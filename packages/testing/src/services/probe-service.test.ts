import { describe, expect, it } from 'vitest';
import { freePort } from './free-port.js';
import { probeService } from './probe-service.js';
import type { ServiceKind } from './service-kind.js';

const schemes: Record<ServiceKind, string> = {
  postgres: 'postgres://postgres@',
  redis: 'redis://',
  nats: 'nats://',
  clickhouse: 'http://',
};

describe('probeService', () => {
  it.each(Object.keys(schemes) as ServiceKind[])(
    'reports why %s on a closed port does not answer',
    async (kind) => {
      const url = `${schemes[kind]}127.0.0.1:${await freePort()}`;
      const reason = await probeService(kind, url, { timeoutMs: 1000 });
      expect(reason).toEqual(expect.any(String));
      expect(reason).not.toBe('');
    },
  );
});
