import { isIP } from 'node:net';
import { InvalidNameError } from './errors.ts';

const MAX_NAME = 253;
const MAX_LABEL = 63;
// Letters, digits, hyphen and underscore (service labels such as `_moray`).
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

/**
 * The canonical form of a name: lower case, no trailing dot. Comparisons are
 * case-insensitive (RFC 4343) so that 0x20 case randomisation stays harmless.
 * Throws `InvalidNameError` for names that cannot go on the wire.
 */
export function normalizeName(input: string): string {
  if (typeof input !== 'string') throw new InvalidNameError(String(input), 'not a string');
  let name = input.endsWith('.') ? input.slice(0, -1) : input;
  if (name.length === 0) {
    if (input === '.') return '';
    throw new InvalidNameError(input, 'empty');
  }
  if (name.length > MAX_NAME) throw new InvalidNameError(input, `longer than ${MAX_NAME} characters`);
  for (const label of name.split('.')) {
    if (label.length === 0) throw new InvalidNameError(input, 'empty label');
    if (label.length > MAX_LABEL) throw new InvalidNameError(input, `label "${label}" longer than ${MAX_LABEL}`);
    if (!LABEL.test(label)) throw new InvalidNameError(input, `label "${label}" has characters outside letters, digits, "-" and "_"`);
  }
  name = name.toLowerCase();
  return name;
}

/** True when `name` equals `suffix` or ends with `.suffix` (both normalized). */
export function isSubdomain(name: string, suffix: string): boolean {
  if (suffix === '') return true;
  return name === suffix || name.endsWith('.' + suffix);
}

/** The name a PTR query for `address` asks for (in-addr.arpa / ip6.arpa). */
export function reverseName(address: string): string {
  const family = isIP(address);
  if (family === 4) return address.split('.').reverse().join('.') + '.in-addr.arpa';
  if (family === 6) {
    const hex = expandIPv6(address).replace(/:/g, '');
    return [...hex].reverse().join('.') + '.ip6.arpa';
  }
  throw new InvalidNameError(address, 'not an IPv4 or IPv6 address');
}

/** The address a reverse name stands for, or undefined if it is not one. */
export function addressFromReverse(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.in-addr.arpa')) {
    const parts = lower.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
    return parts.reverse().map(Number).join('.');
  }
  if (lower.endsWith('.ip6.arpa')) {
    const nibbles = lower.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    return compressIPv6(hex.match(/.{4}/g)!.join(':'));
  }
  return undefined;
}

/** `::1` → `0000:0000:...:0001`. Assumes `isIP(address) === 6`. */
export function expandIPv6(address: string): string {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + (((b[0]! << 8) | b[1]!).toString(16)) + ':' + (((b[2]! << 8) | b[3]!).toString(16));
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => g.padStart(4, '0')).join(':');
}

/** RFC 5952 text form of a fully written IPv6 address. */
export function compressIPv6(full: string): string {
  const groups = full.split(':').map((g) => parseInt(g, 16).toString(16));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  const left = groups.slice(0, bestStart).join(':');
  const right = groups.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}
