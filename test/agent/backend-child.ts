// A backend in its own process: a test can SIGKILL it under load, and its
// timing does not share the test's event loop. It reports each request to
// the parent over IPC and answers only once the report is sent, so every
// answer a client saw was counted. The parent sets its delay with
// `{ delayMs }` (acknowledged with `{ ack: true }`).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

let delayMs = Number(process.argv[2] ?? 2);

const send = (m: unknown, cb?: () => void): void => {
  process.send!(m, undefined, {}, () => cb?.());
};

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const id = req.headers['x-request-id'];
    send({ id: typeof id === 'string' ? id : undefined }, () => {
      setTimeout(() => res.end(String((server.address() as AddressInfo).port)), delayMs);
    });
  });
});
server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => send({ port: (server.address() as AddressInfo).port }));
process.on('message', (m: { delayMs?: number }) => {
  if (m.delayMs !== undefined) {
    delayMs = m.delayMs;
    send({ ack: true });
  }
});
process.on('disconnect', () => process.exit(0));
