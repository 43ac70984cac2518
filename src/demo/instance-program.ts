// The demo's service instance: a small HTTP server in a process of its own,
// so that a restart and a kill -9 are real. Run as
//   node src/demo/instance-program.ts --name web-1 --port 8081 [--work-ms 5]
// It prints `listening ADDRESS:PORT pid PID` once it accepts connections.
//
//   GET /         → {"instance","pid","n"} after --work-ms (the work)
//   GET /health   → "ok" (the sidecar's health check; not counted)
//   GET /_served  → {"instance","served","inFlight","ids"}: request ids seen
//                   (x-request-id), so a test can prove each request was
//                   served by one and only one instance (with --ids-file
//                   PATH they are also appended there on a graceful exit)
//
// SIGTERM/SIGINT: stop accepting, let requests in hand finish (answered with
// `Connection: close`), close idle keep-alive connections, exit 0. It also
// exits when its stdin closes, so it never outlives a parent that crashed.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    name: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'work-ms': { type: 'string' },
    'watch-stdin': { type: 'boolean' }, 'ids-file': { type: 'string' },
  },
  strict: true,
});
const name = values.name ?? 'instance';
const port = Number(values.port ?? '0');
const host = values.host ?? '127.0.0.1';
const workMs = Number(values['work-ms'] ?? '5');
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected 0-65535, got ${values.port}`);
if (!Number.isFinite(workMs) || workMs < 0) throw new Error(`--work-ms: expected a non-negative number, got ${values['work-ms']}`);

let served = 0;
let inFlight = 0;
let stopping = false;
const ids: string[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (stopping) res.setHeader('connection', 'close');
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (req.url === '/_served') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ instance: name, served, inFlight, ids }));
    return;
  }
  inFlight++;
  const id = req.headers['x-request-id'];
  if (typeof id === 'string') ids.push(id);
  const n = ++served;
  const reply = (): void => {
    inFlight--;
    if (stopping) res.setHeader('connection', 'close');
    res.writeHead(200, { 'content-type': 'application/json', 'x-instance': name }).end(JSON.stringify({ instance: name, pid: process.pid, n }));
  };
  if (workMs > 0) setTimeout(reply, workMs);
  else reply();
}

const server = createServer({ keepAliveTimeout: 5000 }, handle);
server.listen(port, host, () => {
  const a = server.address() as { address: string; port: number };
  process.stdout.write(`listening ${a.address}:${a.port} pid ${process.pid}\n`);
});

function stop(): void {
  if (stopping) return;
  stopping = true;
  // close() stops accepting and ends when the last connection is gone;
  // idle keep-alive connections are closed now, busy ones after their reply.
  server.close(() => {
    // Tests count every request server-side across restarts: keep this process's ids.
    if (values['ids-file']) appendFileSync(values['ids-file'], ids.map((id) => `${id}\n`).join(''));
    process.exit(0);
  });
  server.closeIdleConnections();
  // A client that holds a connection open without a request cannot keep us here.
  setTimeout(() => { server.closeAllConnections(); }, 5000).unref();
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (values['watch-stdin']) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
