import type { Dispatcher } from 'undici';

// The backend's pool would send `Host: address:port`; a client that asked
// for http://moray.example/ means `Host: moray.example`, as cueball's
// HttpAgent (through node's http) sent it. So the origin's host goes in,
// unless the caller set a Host header itself.

type Headers = NonNullable<Dispatcher.DispatchOptions['headers']>;

/** `host[:port]` of an origin; memoised, since callers reuse a handful of origins. */
export function originHost(origin: string | URL, cache: Map<string, string>): string {
  if (typeof origin !== 'string') return origin.host;
  let host = cache.get(origin);
  if (host === undefined) {
    host = new URL(origin).host;
    if (cache.size < 1000) cache.set(origin, host);
  }
  return host;
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
