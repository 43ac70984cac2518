import { isIP } from 'node:net';
import { formatHostPort } from '../host-port.ts';
import { InvalidConnectStringError } from './errors.ts';

export interface ConnectString {
  /** `host:port` pairs, in the order given. */
  servers: { host: string; port: number }[];
  /** Path every store path is placed under, or '' for none. */
  chroot: string;
}

const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/**
 * Parses ZooKeeper's connect string: `h1:2181,h2:2181,[::1]:2181/chroot/path`.
 * The port defaults to 2181.
 */
export function parseConnectString(input: string): ConnectString {
  if (typeof input !== 'string' || input.trim() === '') throw new InvalidConnectStringError(String(input), 'empty');
  const slash = input.indexOf('/');
  const hosts = slash < 0 ? input : input.slice(0, slash);
  let chroot = slash < 0 ? '' : input.slice(slash);
  if (chroot === '/') chroot = '';
  if (chroot && (chroot.endsWith('/') || chroot.includes('//'))) throw new InvalidConnectStringError(input, `chroot "${chroot}" has an empty segment`);
  const servers = hosts.split(',').map((part) => {
    const text = part.trim();
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
    if (!m) throw new InvalidConnectStringError(input, `"${text}" is not host:port`);
    const host = m[1]!;
    if (isIP(host) === 0 && !HOST.test(host)) throw new InvalidConnectStringError(input, `"${host}" is not a host name or address`);
    const port = m[2] === undefined ? 2181 : Number(m[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidConnectStringError(input, `port ${m[2]} is out of range`);
    return { host, port };
  });
  return { servers, chroot };
}

/** The connect string for the client library, without the chroot (the store applies it itself). */
export function serversString(cs: ConnectString): string {
  return cs.servers.map((s) => formatHostPort(s.host, s.port)).join(',');
}
