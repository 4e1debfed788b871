import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { ObserverError } from '../errors.js';
import {
  embeddedIpv4,
  parseIp,
  parseIpRange,
  rangeContains,
  type IpAddress,
  type IpRange,
} from './ip-range.js';

/**
 * Address ranges no action may reach unless allow-listed: "this network", private, shared
 * (CGNAT), loopback, link-local (cloud metadata at 169.254.169.254 and fd00:ec2::254),
 * documentation, benchmarking, multicast and reserved space, IPv4 and IPv6.
 */
export const BLOCKED_RANGES: readonly string[] = Object.freeze([
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  '100::/64',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
]);

const BLOCKED: readonly IpRange[] = BLOCKED_RANGES.map((text) => {
  const range = parseIpRange(text);
  if (range === undefined) throw new Error(`invalid built-in range ${text}`);
  return range;
});

/**
 * The blocked range an address falls in, or `undefined` when it is public. IPv6 forms that
 * carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that IPv4 address.
 */
export function blockedRangeOf(address: string): string | undefined {
  const parsed = parseIp(address);
  if (parsed === undefined) return 'unparseable address';
  return blockedRangeOfParsed(parsed);
}

function blockedRangeOfParsed(parsed: IpAddress): string | undefined {
  const inner = embeddedIpv4(parsed);
  if (inner !== undefined) {
    const innerRange = blockedRangeOfParsed(inner);
    if (innerRange !== undefined) return innerRange;
  }
  return BLOCKED.find((range) => rangeContains(range, parsed))?.text;
}

/** Resolves a hostname to every address it has (the `node:dns` `lookup` with `all: true`). */
export type ResolveAll = (hostname: string) => Promise<readonly LookupAddress[]>;

/** Options for {@link createSsrfGuard}. */
export interface SsrfGuardOptions {
  /**
   * Hostnames, IP addresses or CIDR blocks exempt from the guard (`'127.0.0.1'`,
   * `'10.0.0.0/8'`, `'billing.internal'`). A hostname entry trusts whatever it resolves to.
   * @defaultValue `[]`
   */
  readonly allowHosts?: readonly string[] | undefined;
  /**
   * Name resolution, for tests and custom resolvers.
   * @defaultValue `dns.lookup(hostname, { all: true })` (honours /etc/hosts)
   */
  readonly resolve?: ResolveAll | undefined;
}

/** Checks destinations after DNS resolution and hands out only addresses it checked. */
export interface SsrfGuard {
  /**
   * Resolves `hostname` (an IP literal resolves to itself) and returns its addresses when every
   * one is allowed.
   *
   * @throws {ObserverError} `SSRF_BLOCKED` (permanent, `errorType: 'ssrf'`) naming the host and
   * the range, or the resolver's error when the name cannot be resolved.
   */
  resolve(hostname: string): Promise<readonly LookupAddress[]>;
  /**
   * A `lookup` for `net.connect`/`tls.connect`: resolves once, checks every address and answers
   * with the checked addresses, so the socket connects to exactly what was checked.
   */
  readonly lookup: (
    hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ) => void;
}

const defaultResolve: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
      if (error === null) resolve(addresses);
      else reject(error);
    });
  });

/**
 * Creates an SSRF guard: loopback, private, link-local, metadata and other non-public addresses
 * are refused unless `allowHosts` names them.
 *
 * @throws {ObserverError} `CONFIG_INVALID` when an `allowHosts` entry is empty.
 */
export function createSsrfGuard(options: SsrfGuardOptions = {}): SsrfGuard {
  const allowNames = new Set<string>();
  const allowRanges: IpRange[] = [];
  for (const entry of options.allowHosts ?? []) {
    const text = entry.trim().toLowerCase();
    if (text === '') {
      throw new ObserverError('CONFIG_INVALID', 'allowHosts: entries must not be empty');
    }
    const range = parseIpRange(text);
    if (range === undefined) allowNames.add(text.replace(/\.$/, ''));
    else allowRanges.push(range);
  }
  const resolveAll = options.resolve ?? defaultResolve;

  const check = (hostname: string, address: string): void => {
    const range = blockedRangeOf(address);
    if (range === undefined) return;
    const parsed = parseIp(address);
    const inner = parsed === undefined ? undefined : embeddedIpv4(parsed);
    const allowed = allowRanges.some(
      (allow) =>
        (parsed !== undefined && rangeContains(allow, parsed)) ||
        (inner !== undefined && rangeContains(allow, inner)),
    );
    if (allowed) return;
    const via = hostname === address ? '' : ` (resolves to ${address})`;
    throw new ObserverError(
      'SSRF_BLOCKED',
      `refusing to connect to ${hostname}${via}: ${range} is not a public address; add it to allowHosts to permit it`,
      { retryable: false, errorType: 'ssrf', details: { host: hostname, address, range } },
    );
  };

  const resolve = async (rawHostname: string): Promise<readonly LookupAddress[]> => {
    const hostname = stripBrackets(rawHostname).toLowerCase().replace(/\.$/, '');
    const family = isIP(hostname);
    if (family !== 0) {
      if (!allowNames.has(hostname)) check(hostname, hostname);
      return [{ address: hostname, family }];
    }
    const addresses = await resolveAll(hostname);
    if (addresses.length === 0) {
      throw Object.assign(new Error(`${hostname}: no addresses`), { code: 'ENOTFOUND' });
    }
    if (!allowNames.has(hostname)) for (const { address } of addresses) check(hostname, address);
    return addresses;
  };

  const lookup: SsrfGuard['lookup'] = (hostname, lookupOptions, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const wanted = familyNumber(lookupOptions.family);
        const usable = wanted === 0 ? addresses : addresses.filter((a) => a.family === wanted);
        if (lookupOptions.all === true) {
          callback(null, [...usable]);
          return;
        }
        const first = usable[0];
        if (first === undefined) {
          const error: NodeJS.ErrnoException = new Error(`${hostname}: no IPv${wanted} address`);
          error.code = 'ENOTFOUND';
          callback(error, '');
          return;
        }
        callback(null, first.address, first.family);
      },
      (error: unknown) => {
        callback(error as NodeJS.ErrnoException, '');
      },
    );
  };

  return { resolve, lookup };
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function familyNumber(family: number | string | undefined): number {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}
