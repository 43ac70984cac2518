import t from 'tap';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeMessage, encodeQuery, RecordType } from '../../src/dns/index.ts';
import { openStore } from '../../src/registry/open.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { waitFor } from '../fixtures/wait.ts';
import { heraldServe, memoryServer } from './helpers.ts';

const D = 'coal.joyent.us';
const SERVICE = `_http._tcp.big.${D}`;

/** `queries` TCP frames, each asking SRV of the big service. */
function frames(queries: number): Buffer {
  const q = encodeQuery({ id: 1, name: SERVICE, type: RecordType.SRV });
  const one = Buffer.concat([Buffer.from([q.length >> 8, q.length & 255]), q]);
  return Buffer.concat(Array.from({ length: queries }, () => one));
}

function open(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** One TCP query; resolves with the decoded reply, rejects on close or after `timeoutMs`. */
function ask(port: number, localAddress: string, timeoutMs = 2000): Promise<ReturnType<typeof decodeMessage>> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress });
    const timer = setTimeout(() => { s.destroy(); reject(new Error('no TCP answer in time')); }, timeoutMs);
    let got = Buffer.alloc(0);
    s.on('connect', () => s.write(frames(1)));
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) { clearTimeout(timer); s.destroy(); resolve(decodeMessage(got.subarray(2))); }
    });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); reject(new Error('closed without an answer')); });
  });
}

t.test('herald serve: a client pipelining 20,000 queries that never reads, and 256 trickling connections', async (t) => {
  const serve = await heraldServe(['--registry', 'memory', '--registry-listen', '127.0.0.1:0', '--domain', D, '--metrics', '127.0.0.1:0', '--threads', '1']);
  t.teardown(() => serve.stop());
  const store = openStore(serve.registryUrl!);
  t.teardown(() => store.close());
  await store.ready(5000);
  // A service whose SRV reply is close to 64 KiB: the worst case per queued reply.
  await store.putPersistent('/us/joyent/coal/big', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }));
  await Promise.all(Array.from({ length: 1300 }, (_, i) => store.putEphemeral(`/us/joyent/coal/big/6f1c2e2a-0d3b-4c4e-9a51-${String(i).padStart(12, '0')}`,
    hostRecordJson({ type: 'load_balancer', address: `10.1.${i >> 8}.${i & 255}`, ports: [80] }))));
  await waitFor('the service in DNS', async () => (await ask(serve.port, '127.0.0.2')).answers.length > 500, 10_000, 50);
  // Let the burst of 1,300 snapshot changes settle, so RSS measures the connections only.
  const changes = async () => /herald_server_zone_changes_total (\d+)/.exec(await (await fetch(serve.metricsUrl!)).text())?.[1] ?? "";
  let last = '';
  await waitFor('the zone to settle', async () => { const now = await changes(); const same = now === last; last = now; return same; }, 20_000, 1000);
  await sleep(1000);

  const before = await serve.rssMb();
  const hog = await open(serve.port);
  hog.pause();
  hog.on('error', () => {});
  hog.write(frames(20_000));
  await sleep(3000);
  const during = await serve.rssMb();
  const answered = await ask(serve.port, '127.0.0.2');
  t.ok(answered.answers.length > 500, 'others are answered while the hog is connected');
  hog.destroy();
  await sleep(1000);
  const after = await serve.rssMb();
  t.comment(`pipelining 20,000 queries, never reading: RSS ${before.toFixed(0)} MB before, ${during.toFixed(0)} MB connected, ${after.toFixed(0)} MB after it left`);
  t.ok(during - before < 100, `RSS grows by ${(during - before).toFixed(0)} MB, under 100 MB`);
  t.ok(after - before < 100, `RSS after: ${(after - before).toFixed(0)} MB above the start`);

  // 256 connections from one address, each a length prefix and one byte, then a byte every 2 s.
  const trickles: Socket[] = [];
  let closed = 0;
  for (let i = 0; i < 256; i++) {
    const s = connect({ port: serve.port, host: '127.0.0.1' });
    s.on('error', () => {});
    s.on('close', () => { closed++; });
    s.on('connect', () => s.write(Buffer.from([0, 40, 0])));
    trickles.push(s);
  }
  const drip = setInterval(() => { for (const s of trickles) if (!s.destroyed) s.write(Buffer.from([0])); }, 2000);
  t.teardown(() => { clearInterval(drip); for (const s of trickles) s.destroy(); });
  await sleep(300);
  const other = await ask(serve.port, '127.0.0.2');
  t.ok(other.answers.length > 500, 'another source address is answered at once: one source cannot take every slot');
  const start = Date.now();
  await waitFor('every trickling connection closed', () => closed === 256, 10_000, 50);
  t.comment(`256 trickling connections all closed ${Date.now() - start} ms later (the whole-query limit is 5 s)`);
  const same = await ask(serve.port, '127.0.0.1');
  t.ok(same.answers.length > 500, 'and the trickling address is answered again');
  const text = await (await fetch(serve.metricsUrl!)).text();
  t.match(text, /herald_server_tcp_closed_total\{reason="per_source"\} (2[0-9][0-9])/, 'connections over the per-source limit refused and counted');
  t.match(text, /herald_server_tcp_closed_total\{reason="slow_query"\} ([1-9]\d*)/, 'trickling queries closed and counted');
  t.comment(`RSS at the end: ${(await serve.rssMb()).toFixed(0)} MB`);
  t.equal(serve.child.exitCode, null, 'still running');
});

t.test('a trickle does not reset the idle clock; a client that stops reading is closed after tcpIdleMs', async (t) => {
  const s = await memoryServer(D);
  t.teardown(() => s.close());
  await s.writer.putPersistent('/us/joyent/coal/big', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }));
  // Replies of ~40 KB, so that unread ones fill the socket buffers.
  await Promise.all(Array.from({ length: 600 }, (_, i) => s.writer.putEphemeral(`/us/joyent/coal/big/6f1c2e2a-0d3b-4c4e-9a51-${String(i).padStart(12, '0')}`,
    hostRecordJson({ type: 'load_balancer', address: `10.1.${i >> 8}.${i & 255}`, ports: [80] }))));
  const { DnsServer } = await import('../../src/server/server.ts');
  const mirror = s.registry.connect().mirror('/us/joyent/coal');
  const server = new DnsServer({ mirror, domain: D, listen: ['127.0.0.1:0'], tcpIdleMs: 800, tcpQueryMs: 400, tcpMaxQueuedReplies: 4 });
  await server.start();
  await mirror.synced();
  t.teardown(() => server.stop());
  const port = server.addresses[0]!.port;
  const closedAfter = (sock: Socket) => { const t0 = Date.now(); return new Promise<number>((r) => sock.once('close', () => r(Date.now() - t0))); };
  await waitFor('the service', () => server.handle(encodeQuery({ id: 1, name: SERVICE, type: RecordType.SRV }), true)!.length > 30_000, 5000, 10);

  // A byte every 100 ms of a query that never completes: closed by the whole-query limit.
  const trickle = await open(port);
  trickle.on('error', () => {});
  const trickleClosed = closedAfter(trickle);
  const drip = setInterval(() => { if (!trickle.destroyed) trickle.write(Buffer.from([0])); }, 100);
  trickle.write(Buffer.from([0, 40]));
  const tricklet = await trickleClosed;
  clearInterval(drip);
  t.ok(tricklet >= 350 && tricklet < 1500, `trickle closed after ${tricklet} ms (query limit 400 ms)`);

  // Pipelines and never reads: paused after 4 queued replies, closed when idle.
  const hog = await open(port);
  hog.pause();
  hog.on('error', () => {});
  // A paused client does not see the server close: watch the server's count.
  const t0 = Date.now();
  hog.write(frames(5000));
  await waitFor('the idle close', () => server.stats.tcpClosed.idle === 1, 5000, 10);
  const hogt = Date.now() - t0;
  hog.destroy();
  t.ok(hogt >= 700 && hogt < 3000, `non-reading client closed after ${hogt} ms (idle limit 800 ms)`);
  t.ok(server.stats.tcp < 5000, `only ${server.stats.tcp} of 5000 queries read before reads paused`);
  t.equal(server.stats.tcpClosed.idle, 1);
  t.equal(server.stats.tcpClosed.slow_query, 1);
});
