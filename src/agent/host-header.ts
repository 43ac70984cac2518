import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';

// The backend's pool would send `Host: address:port`; a client that asked
// for http://moray.example/ means `Host: moray.example`, as cueball's
// HttpAgent (through node's http) sent it. So the origin's host goes in,
// unless the caller set a Host header itself.

type Headers = NonNullable<Dispatcher.DispatchOptions['headers']>;

/** What the agent sends for one request origin; computed once per origin. */
export interface OriginHost {
  /** `host[:port]`, the `Host` header value. */
  readonly host: string;
  /**
   * What undici would derive from that Host for TLS SNI (the hostname, null
   * for an IP address). Passed along so undici does not re-derive it (two
   * IP regexes) on every request; the pools are plain HTTP, so it is only
   * ever handed to a custom `connect`, and it is the same value as before.
   */
  readonly servername: string | null;
  /** `['host', host]`, frozen: the headers of a request that set none. */
  readonly headers: readonly string[];
}

/** The origin's Host (memoised, since callers reuse a handful of origins). */
export function originHost(origin: string | URL, cache: Map<string, OriginHost>): OriginHost {
  if (typeof origin !== 'string') return hostOf(origin.host);
  let found = cache.get(origin);
  if (found === undefined) {
    found = hostOf(new URL(origin).host);
    if (cache.size < 1000) cache.set(origin, found);
  }
  return found;
}

function hostOf(host: string): OriginHost {
  return { host, servername: serverName(host), headers: Object.freeze(['host', host]) };
}

/** undici's rule: the hostname of a Host header, none for an IP address. */
export function serverName(host: string): string | null {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':', 1)[0]!;
  return name === '' || isIP(name) !== 0 ? null : name;
}

/** The headers with `host` added when absent (never modifies the caller's object). */
export function withHost(headers: Headers | null | undefined, host: string): Headers {
  if (headers == null) return { host };
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'host') return headers;
    return [...(headers as string[]), 'host', host];
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    const flat: string[] = [];
    for (const [k, v] of headers as Iterable<[string, string]>) {
      if (k.toLowerCase() === 'host') return headers;
      flat.push(k, v);
    }
    return [...flat, 'host', host];
  }
  for (const key in headers) if (key.length === 4 && key.toLowerCase() === 'host') return headers;
  return { ...(headers as Record<string, string>), host };
}
