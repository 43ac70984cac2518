// A backend in its own process: a test can SIGKILL it under load, and its
// timing does not share the test's event loop. It reports each request to
// the parent over IPC and answers only once the report is sent, so every
// answer a client saw was counted. The parent sets its delay with
// `{ delayMs }` (acknowledged with `{ ack: true }`).
//
//   backend-child.ts DELAY_MS [PORT] [COLD_MS COLD_DELAY_MS] [defer]
//   (deferred: `{ listen: true, port }` makes it listen, on that port if given)
//
// PORT 0 (the default) takes any free port; a given one lets a test restart
// a killed backend where it was (or pass it with `listen`, below). For its first COLD_MS after listening it
// is cold: it serves one request at a time, each taking COLD_DELAY_MS (an
// instance that cannot take its share yet), then as usual. With `defer` it
// listens only when told (`{ listen: true }`): the process is up, so a test
// can time exactly when a restarted backend starts answering.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

let delayMs = Number(process.argv[2] ?? 2);
let port = Number(process.argv[3] ?? 0);
const coldMs = Number(process.argv[4] ?? 0);
const coldDelayMs = Number(process.argv[5] ?? 0);
let warmAt = Infinity;
/** While cold: when the one request being served will be done. */
let busyUntil = 0;

const send = (m: unknown, cb?: () => void): void => {
  process.send!(m, undefined, {}, () => cb?.());
};

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const id = req.headers['x-request-id'];
    send({ id: typeof id === 'string' ? id : undefined }, () => {
      const now = Date.now();
      let wait = delayMs;
      if (now < warmAt) {
        busyUntil = Math.max(busyUntil, now) + coldDelayMs;
        wait = busyUntil - now;
      }
      setTimeout(() => res.end(String((server.address() as AddressInfo).port)), wait);
    });
  });
});
server.keepAliveTimeout = 10_000;
const listen = (): void => {
  server.listen(port, '127.0.0.1', () => {
    warmAt = Date.now() + coldMs;
    send({ port: (server.address() as AddressInfo).port });
  });
};
if (process.argv[6] === 'defer') send({ ready: true });
else listen();
process.on('message', (m: { delayMs?: number; listen?: boolean; port?: number }) => {
  if (m.listen) {
    port = m.port ?? port;
    listen();
  }
  else if (m.delayMs !== undefined) {
    delayMs = m.delayMs;
    send({ ack: true });
  }
});
process.on('disconnect', () => process.exit(0));
