import { isIPv4, isIPv6 } from 'node:net';

/** A parsed IP address: its family and its value as an unsigned integer. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A CIDR block such as `10.0.0.0/8` or `fc00::/7`. */
export interface IpRange {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
  /** The range as written in CIDR notation. */
  readonly text: string;
}

/** Parses an IPv4 or IPv6 address (brackets and an IPv6 zone are accepted), or `undefined`. */
export function parseIp(text: string): IpAddress | undefined {
  let address = text.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  if (isIPv4(address)) return { family: 4, value: parseIpv4(address) };
  if (isIPv6(address)) return { family: 6, value: parseIpv6(address) };
  return undefined;
}

/** Parses `address/prefix` (or a bare address, a single-host range), or `undefined`. */
export function parseIpRange(text: string): IpRange | undefined {
  const slash = text.indexOf('/');
  const address = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (address === undefined) return undefined;
  const bits = address.family === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bits) return undefined;
  const mask = maskOf(bits, prefix);
  return { family: address.family, base: address.value & mask, prefix, text };
}

/** True when `address` lies inside `range` (families must match). */
export function rangeContains(range: IpRange, address: IpAddress): boolean {
  if (range.family !== address.family) return false;
  const bits = range.family === 4 ? 32 : 128;
  return (address.value & maskOf(bits, range.prefix)) === range.base;
}

/**
 * The IPv4 address an IPv6 address carries, for the forms that route to IPv4: IPv4-mapped
 * (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`).
 */
export function embeddedIpv4(address: IpAddress): IpAddress | undefined {
  if (address.family !== 6) return undefined;
  const v = address.value;
  const low32 = v & 0xffff_ffffn;
  if (v >> 32n === 0xffffn) return { family: 4, value: low32 };
  if (v >> 32n === 0n && low32 > 1n) return { family: 4, value: low32 };
  if (v >> 32n === 0x0064_ff9b_0000_0000_0000_0000n) return { family: 4, value: low32 };
  if (v >> 112n === 0x2002n) return { family: 4, value: (v >> 80n) & 0xffff_ffffn };
  return undefined;
}

function maskOf(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
}

function parseIpv4(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function parseIpv6(text: string): bigint {
  let head = text;
  let tailGroups: number[] = [];
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) stands for the last two groups.
  const lastColon = head.lastIndexOf(':');
  const tail = head.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    tailGroups = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    head = head.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const [left = '', right] = head.split('::');
  const leftGroups = left === '' ? [] : left.split(':').map((g) => parseInt(g, 16));
  const rightGroups =
    right === undefined || right === '' ? [] : right.split(':').map((g) => parseInt(g, 16));
  const explicit = leftGroups.length + rightGroups.length + tailGroups.length;
  const zeros = right === undefined ? 0 : 8 - explicit;
  const groups = [...leftGroups, ...Array<number>(zeros).fill(0), ...rightGroups, ...tailGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}
