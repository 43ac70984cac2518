import type { IncomingMessage } from 'node:http';

// The HTTP check's and the HTTP in-flight probe's one GET, on Node's own
// client: its parser is native, where undici's is WebAssembly, which V8's
// lite mode (`node --lite-mode`, ~12 MB less RSS a sidecar) does not have.
// node:http or node:https is loaded by the first GET, not by a sidecar
// without one.

/** Bodies are read up to this much (registrar's limit on a command's stdout); the rest is drained unread. */
const MAX_BODY = 1024 * 1024;

export type HttpGetOutcome = { status: number; body: string } | { error: string; code?: string };

/**
 * GET `url` on a connection of its own (no keep-alive: an idle pooled
 * connection would count as in-flight work on the served port and hold
 * every drain to its deadline), bounded by `timeoutMs` from start to the end
 * of the body. Never rejects.
 */
export async function httpGet(url: string, timeoutMs: number, readBody: boolean): Promise<HttpGetOutcome> {
  const { request } = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: HttpGetOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const req = request(url, { method: 'GET', agent: false, headers: { connection: 'close' } }, (res: IncomingMessage) => {
      let body = '';
      if (readBody) res.setEncoding('utf8');
      res.on('data', (chunk: string | Buffer) => {
        if (readBody && body.length < MAX_BODY) body += (chunk as string).slice(0, MAX_BODY - body.length);
      });
      res.once('end', () => finish({ status: res.statusCode ?? 0, body }));
      res.once('error', (err: Error & { code?: string }) => finish({ error: err.message, ...(err.code ? { code: err.code } : {}) }));
    });
    const timer = setTimeout(() => finish({ error: 'timed out', code: 'TIMEOUT' }), timeoutMs);
    req.once('error', (err: Error & { code?: string }) => finish({ error: err.message, ...(err.code ? { code: err.code } : {}) }));
    req.end();
  });
}
