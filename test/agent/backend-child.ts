// A backend in its own process, so a test can SIGKILL it under load. It
// reports each request to the parent over IPC and answers only once the
// report is sent, so every answer a client saw was counted.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const send = (m: unknown, cb?: () => void): void => {
  process.send!(m, undefined, {}, () => cb?.());
};

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const id = req.headers['x-request-id'];
    send({ id: typeof id === 'string' ? id : undefined }, () => {
      // A little work time, so requests are in flight when the process dies.
      setTimeout(() => res.end('child'), 2);
    });
  });
});
server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => send({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
