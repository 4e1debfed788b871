import { describe, expect, it } from 'vitest';
import { isObserverError } from '../errors.js';
import { blockedRangeOf, createSsrfGuard } from './ssrf-guard.js';

describe('blockedRangeOf', () => {
  it.each([
    ['127.0.0.1', '127.0.0.0/8'],
    ['0.0.0.0', '0.0.0.0/8'],
    ['10.1.2.3', '10.0.0.0/8'],
    ['172.16.0.1', '172.16.0.0/12'],
    ['172.31.255.255', '172.16.0.0/12'],
    ['192.168.1.1', '192.168.0.0/16'],
    ['169.254.169.254', '169.254.0.0/16'],
    ['100.64.0.1', '100.64.0.0/10'],
    ['100.100.100.200', '100.64.0.0/10'],
    ['224.0.0.1', '224.0.0.0/4'],
    ['255.255.255.255', '240.0.0.0/4'],
    ['::1', '::1/128'],
    ['::', '::/128'],
    ['fd00::1', 'fc00::/7'],
    ['fd00:ec2::254', 'fc00::/7'],
    ['fe80::1%eth0', 'fe80::/10'],
    ['::ffff:127.0.0.1', '127.0.0.0/8'],
    ['::ffff:7f00:1', '127.0.0.0/8'],
    ['::ffff:169.254.169.254', '169.254.0.0/16'],
    ['::ffff:10.0.0.1', '10.0.0.0/8'],
    ['64:ff9b::a9fe:a9fe', '169.254.0.0/16'],
    ['2002:7f00:1::', '127.0.0.0/8'],
    ['[::1]', '::1/128'],
  ])('blocks %s (%s)', (address, range) => {
    expect(blockedRangeOf(address)).toBe(range);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
  ])('lets the public address %s through', (address) => {
    expect(blockedRangeOf(address)).toBeUndefined();
  });
});

describe('createSsrfGuard', () => {
  const resolveTo =
    (...addresses: string[]) =>
    (): Promise<{ address: string; family: number }[]> =>
      Promise.resolve(
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );

  it('refuses a name when any of its addresses is private, naming host and range', async () => {
    const guard = createSsrfGuard({ resolve: resolveTo('93.184.216.34', '10.0.0.5') });
    const error: unknown = await guard.resolve('mixed.example').catch((e: unknown) => e);
    expect(isObserverError(error, 'SSRF_BLOCKED')).toBe(true);
    expect((error as Error).message).toContain('mixed.example (resolves to 10.0.0.5)');
    expect((error as Error).message).toContain('10.0.0.0/8');
    expect(error).toMatchObject({ retryable: false, errorType: 'ssrf' });
  });

  it('resolves localhost through the system resolver and refuses it', async () => {
    const guard = createSsrfGuard();
    await expect(guard.resolve('localhost')).rejects.toMatchObject({ code: 'SSRF_BLOCKED' });
  });

  it('refuses IP literals without resolving', async () => {
    const guard = createSsrfGuard({ resolve: () => Promise.reject(new Error('must not resolve')) });
    await expect(guard.resolve('169.254.169.254')).rejects.toMatchObject({ code: 'SSRF_BLOCKED' });
    await expect(guard.resolve('[::ffff:127.0.0.1]')).rejects.toMatchObject({
      code: 'SSRF_BLOCKED',
    });
  });

  it('lets allow-listed addresses, ranges and names through', async () => {
    expect(await createSsrfGuard({ allowHosts: ['127.0.0.1'] }).resolve('127.0.0.1')).toEqual([
      { address: '127.0.0.1', family: 4 },
    ]);
    const byRange = createSsrfGuard({ allowHosts: ['10.0.0.0/8'], resolve: resolveTo('10.9.8.7') });
    await expect(byRange.resolve('svc.internal')).resolves.toHaveLength(1);
    const byName = createSsrfGuard({
      allowHosts: ['svc.internal'],
      resolve: resolveTo('10.9.8.7'),
    });
    await expect(byName.resolve('SVC.internal.')).resolves.toHaveLength(1);
    // An allow-listed range covers the IPv4-mapped form of its addresses.
    await expect(
      createSsrfGuard({ allowHosts: ['127.0.0.0/8'] }).resolve('::ffff:127.0.0.1'),
    ).resolves.toHaveLength(1);
    // Allowing one private address does not allow its neighbours.
    await expect(
      createSsrfGuard({ allowHosts: ['127.0.0.1'] }).resolve('127.0.0.2'),
    ).rejects.toMatchObject({
      code: 'SSRF_BLOCKED',
    });
  });

  it('answers net-style lookups with exactly the checked addresses', async () => {
    const guard = createSsrfGuard({ resolve: resolveTo('93.184.216.34', '2606:2800:220:1::') });
    const all = await new Promise((resolve, reject) => {
      guard.lookup('example.test', { all: true }, (error, addresses) => {
        if (error) reject(error);
        else resolve(addresses);
      });
    });
    expect(all).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::', family: 6 },
    ]);
    const v6 = await new Promise((resolve, reject) => {
      guard.lookup('example.test', { family: 6 }, (error, address, family) => {
        if (error) reject(error);
        else resolve([address, family]);
      });
    });
    expect(v6).toEqual(['2606:2800:220:1::', 6]);
  });
});
