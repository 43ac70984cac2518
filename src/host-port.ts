// Addresses with a port, as Herald reads and prints them everywhere:
// `127.0.0.1:53`, `[::1]:53` (IPv6 in brackets, so its colons stay apart
// from the port's).
import { isIP } from 'node:net';
import { InvalidListenAddressError } from './errors.ts';

export interface ListenAddress {
  address: string;
  port: number;
}

/** `host:port`, with an IPv6 host in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `127.0.0.1:5353` or `[::1]:53`; the port defaults to 53, and 0 picks a free one. */
export function parseListen(input: string, defaultPort = 53): ListenAddress {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(input) ?? /^([^:\]]+)(?::(\d+))?$/.exec(input);
  if (!m) throw new InvalidListenAddressError(input, 'expected ADDRESS:PORT or [IPv6]:PORT');
  const address = m[1]!;
  if (isIP(address) === 0) throw new InvalidListenAddressError(input, `"${address}" is not an IP address`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidListenAddressError(input, `port ${m[2]} is out of range`);
  return { address, port };
}
