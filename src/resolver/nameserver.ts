import { isIP } from 'node:net';
import { compressIPv6, expandIPv6 } from '../dns/index.ts';
import { InvalidNameserverError } from './errors.ts';
import { formatHostPort } from '../host-port.ts';

/** Where to send queries. `key` (`ip:port`, `[ipv6]:port`) names it in errors, stats and output. */
export interface Nameserver {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly key: string;
}

export const DEFAULT_DNS_PORT = 53;

/** `10.0.0.1`, `10.0.0.1:5353`, `::1`, `[::1]`, `[::1]:5353` → a `Nameserver`. */
export function parseNameserver(input: string, defaultPort = DEFAULT_DNS_PORT): Nameserver {
  if (typeof input !== 'string') throw new InvalidNameserverError(String(input), 'not a string');
  const text = input.trim();
  let host = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (text.split(':').length === 2) {
    [host, portText] = text.split(':') as [string, string];
  }
  const family = isIP(host);
  if (family === 0) throw new InvalidNameserverError(input, `"${host}" is not an IP address`);
  if (bracketed && family !== 6) throw new InvalidNameserverError(input, 'brackets are for IPv6 addresses');
  let port = defaultPort;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new InvalidNameserverError(input, `port "${portText}" is not 1-65535`);
  }
  return makeNameserver(host, port);
}

/** A nameserver from an address known to be an IP (SRV bootstrap, resolv.conf). */
export function makeNameserver(address: string, port: number): Nameserver {
  const family = isIP(address) === 6 ? 6 : 4;
  // Replies carry the canonical text form in rinfo.address; compare like with like.
  const canonical = family === 6 && !address.includes('%') ? compressIPv6(expandIPv6(address)) : address;
  const key = formatHostPort(canonical, port);
  return Object.freeze({ address: canonical, port, family, key });
}

/** Parses a list given as an array or a comma/space separated string. */
export function parseNameservers(input: string | readonly string[], defaultPort = DEFAULT_DNS_PORT): Nameserver[] {
  const items = typeof input === 'string' ? input.split(/[\s,]+/).filter(Boolean) : input;
  return items.map((item) => parseNameserver(item, defaultPort));
}
