import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { createAdminAuth } from './admin-auth.js';
import { findAdminToken, loadOrCreateAdminToken } from './admin-token.js';

const operator = { name: 'ops', role: 'operator', token: 'o'.repeat(32) } as const;
const reader = { name: 'dashboard', role: 'read-only', token: 'r'.repeat(32) } as const;
const auth = createAdminAuth({ tokens: [operator, reader], allowedHosts: ['127.0.0.1:8080'] });

function request(method: string, headers: Record<string, string>): IncomingMessage {
  return { method, headers: { host: '127.0.0.1:8080', ...headers } } as unknown as IncomingMessage;
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('createAdminAuth', () => {
  it('requires a valid bearer token and names who acts', () => {
    expect(auth.check(request('GET', {}))).toMatchObject({ ok: false, status: 401 });
    expect(auth.check(request('GET', bearer('x'.repeat(32))))).toMatchObject({
      ok: false,
      status: 401,
      message: 'invalid admin token',
    });
    expect(auth.check(request('GET', bearer(reader.token)))).toEqual({
      ok: true,
      principal: { name: 'dashboard', role: 'read-only' },
    });
    expect(auth.check(request('POST', bearer(operator.token)))).toEqual({
      ok: true,
      principal: { name: 'ops', role: 'operator' },
    });
  });

  it('lets a read-only token read but change nothing', () => {
    for (const method of ['POST', 'DELETE', 'PUT', 'PATCH']) {
      expect(auth.check(request(method, bearer(reader.token)))).toMatchObject({
        ok: false,
        status: 403,
      });
    }
  });

  it('lets a read-only token make a POST that only reads, still checking its origin', () => {
    const reads = { readsOnly: true };
    expect(auth.check(request('POST', bearer(reader.token)), reads)).toEqual({
      ok: true,
      principal: { name: 'dashboard', role: 'read-only' },
    });
    expect(auth.check(request('POST', {}), reads)).toMatchObject({ ok: false, status: 401 });
    expect(
      auth.check(
        request('POST', { ...bearer(reader.token), origin: 'https://evil.example' }),
        reads,
      ),
    ).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses foreign Host names (DNS rebinding) and cross-site state changes', () => {
    expect(
      auth.check(request('GET', { ...bearer(operator.token), host: 'evil.example' })),
    ).toMatchObject({ ok: false, status: 421 });
    expect(
      auth.check(request('POST', { ...bearer(operator.token), origin: 'https://evil.example' })),
    ).toMatchObject({ ok: false, status: 403 });
    expect(
      auth.check(request('POST', { ...bearer(operator.token), 'sec-fetch-site': 'cross-site' })),
    ).toMatchObject({ ok: false, status: 403 });
    expect(
      auth.check(request('POST', { ...bearer(operator.token), origin: 'http://127.0.0.1:8080' })),
    ).toMatchObject({ ok: true });
  });

  it('finds tokens by constant-time comparison of digests', () => {
    expect(findAdminToken([operator, reader], reader.token)?.name).toBe('dashboard');
    expect(findAdminToken([operator, reader], reader.token.slice(1))).toBeUndefined();
    expect(findAdminToken([operator], '')).toBeUndefined();
  });
});

describe('loadOrCreateAdminToken', () => {
  it('creates a 0600 token file once, then reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fraiseql-admin-token-'));
    try {
      const path = join(dir, 'nested', 'admin-token');
      const first = await loadOrCreateAdminToken(path);
      expect(first.created).toBe(true);
      expect(first.token.length).toBeGreaterThanOrEqual(43);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await loadOrCreateAdminToken(path)).toEqual({ token: first.token, created: false });
      await writeFile(path, 'short\n');
      await expect(loadOrCreateAdminToken(path)).rejects.toThrow(/fewer than 16 characters/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
