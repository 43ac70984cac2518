// Figure: SRV lookup as a library call, against its anchors in one run on the
// same BIND and record: the floor (a raw dgram socket, connected to the
// server as the resolver's are, sending a pre-encoded query), node:dns
// Resolver (c-ares), and a `dig` shell-out (node-dig-dns). Prints p50/p99
// and CPU per sequential lookup, lookups/s at concurrency 32, and each ratio;
// herald against the floor also as the median of interleaved rounds (the
// machine may be shared). Bounded: fixed counts, well under a minute.
// The answer does not change during the run, so after its first few replies
// (BIND shuffles the 3 SRV records 6 ways) herald reuses the decoding of an
// identical earlier reply (src/resolver/reply-images.ts): the case of a
// resolver polling a name. BENCH_HERALD_BASE=DIR adds `herald@base`, the
// lookup of another checkout (DIR/src/index.ts) with a client of its own,
// to the same interleaved rounds, and prints herald against it (before/after).
import { createSocket, type Socket } from 'node:dgram';
import { Resolver as CaresResolver } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import dig from 'node-dig-dns';
import { encodeQuery, RecordType } from '../src/dns/index.ts';
import { DnsClient, lookup } from '../src/index.ts';
import { Bind } from '../test/fixtures/bind.ts';

const NAME = '_moray._tcp.moray.coal.joyent.us';
const SEQUENTIAL = 16_000;
const ROUNDS = 32;
/** Lookups each contender makes before the rounds: herald's path has more code for the JIT to settle than the floor's. */
const WARMUP = 2000;
const CONCURRENT = 32;
const CONCURRENT_TOTAL = 20_000;
const DIG_COUNT = 30;
/** BENCH_HERALD_BASE=DIR: another checkout whose lookup runs beside this one's (before/after). */
const HERALD_BASE = process.env['BENCH_HERALD_BASE'];

type Once = () => Promise<unknown>;

// A lost UDP reply would stall the floor (it has no timeout): bound the whole run.
setTimeout(() => { console.error('resolver-lookup: did not finish in 120 s'); process.exit(1); }, 120_000).unref();

const bind = await Bind.start([{ origin: 'coal.joyent.us', records: `
moray 60 IN A 10.0.0.1
a.moray 30 IN A 10.0.0.1
b.moray 30 IN A 10.0.0.2
c.moray 30 IN A 10.0.0.3
_moray._tcp.moray 60 IN SRV 0 10 2021 a.moray
_moray._tcp.moray 60 IN SRV 0 10 2021 b.moray
_moray._tcp.moray 60 IN SRV 0 10 2021 c.moray
` }]);

try {
  // The floor: one socket connected to the server (as each of the resolver's is), the query bytes built once, only the ID changes.
  const raw = createSocket('udp4');
  await new Promise<void>((r) => raw.connect(bind.port, bind.address, () => r()));
  // A ring of pre-encoded copies: a buffer must not change while a send is queued.
  const template = encodeQuery({ id: 0, name: NAME, type: RecordType.SRV, rd: true, udpSize: 1232 });
  const ring = Array.from({ length: 64 }, () => Buffer.from(template));
  const waiting = new Map<number, () => void>();
  let nextId = 0;
  raw.on('message', (msg) => { const done = waiting.get(msg.readUInt16BE(0)); if (done) { waiting.delete(msg.readUInt16BE(0)); done(); } });
  const floor: Once = () => new Promise<void>((resolve) => {
    const id = (nextId = (nextId + 1) & 0xffff);
    const query = ring[id & 63]!;
    query.writeUInt16BE(id, 0);
    waiting.set(id, resolve);
    raw.send(query);
  });

  // The floor with the resolver's source-port policy, done as the resolver does it: 4 connected sockets, each
  // query from one at random, each asking for a 1 MiB receive buffer, each given a fresh port after 64 queries —
  // in place (disconnect, connect again: Linux binds a new random port) when nothing waits on it, else by a
  // fresh socket. It shows what fresh ports cost by themselves, apart from what the resolver's code adds.
  interface Port { socket: Socket; sent: number; open: number; retired: boolean; queue: Buffer[] | undefined }
  const ports: (Port | undefined)[] = [undefined, undefined, undefined, undefined];
  const portWaiting = new Map<number, Port>();
  const connectPort = (port: Port): void => {
    port.queue = [];
    port.socket.connect(bind.port, bind.address, () => { for (const q of port.queue!) port.socket.send(q); port.queue = undefined; });
  };
  const freshPort = (): Port => {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 20, lookup: (address, _family, cb) => cb(null, address, 4) });
    const port: Port = { socket, sent: 0, open: 0, retired: false, queue: [] };
    port.socket.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const done = waiting.get(id);
      if (done === undefined || portWaiting.get(id) !== port) return;
      waiting.delete(id);
      portWaiting.delete(id);
      if (--port.open === 0 && port.retired) port.socket.close();
      done();
    });
    connectPort(port);
    return port;
  };
  const floorPorts: Once = () => new Promise<void>((resolve) => {
    const id = (nextId = (nextId + 1) & 0xffff);
    const query = ring[id & 63]!;
    query.writeUInt16BE(id, 0);
    const slot = Math.floor(Math.random() * ports.length);
    let port = ports[slot];
    if (port !== undefined && port.sent >= 64 && port.open === 0 && port.queue === undefined) {
      port.socket.disconnect();
      connectPort(port);
      port.sent = 0;
    } else if (port === undefined || port.sent >= 64) {
      if (port !== undefined) { port.retired = true; if (port.open === 0) port.socket.close(); }
      port = ports[slot] = freshPort();
    }
    port.sent++;
    port.open++;
    waiting.set(id, resolve);
    portWaiting.set(id, port);
    if (port.queue !== undefined) port.queue.push(query);
    else port.socket.send(query);
  });

  const client = new DnsClient();
  const nameservers = [bind.nameserver];
  // Each contender hands back parsed records, as c-ares does. Each is called as it is, with nothing around it: an
  // async wrapper that awaits the lookup would cost herald a promise and an await that the others do not pay.
  const options = { nameservers, client };
  const herald: Once = () => lookup(NAME, 'SRV', options);

  type Base = { lookup: (name: string, type: string, o: object) => Promise<unknown>; DnsClient: new () => { close(): void } };
  const base = HERALD_BASE === undefined ? undefined : (await import(`${HERALD_BASE}/src/index.ts`)) as Base;
  const baseClient = base === undefined ? undefined : new base.DnsClient();
  const baseOptions = { nameservers, client: baseClient };

  const cares = new CaresResolver({ timeout: 2000, tries: 1 });
  cares.setServers([bind.nameserver]);
  const caresOnce: Once = () => cares.resolveSrv(NAME);

  // Sanity: every contender gets the same 3 targets.
  const h = await lookup(NAME, 'SRV', { nameservers, client });
  const c = await cares.resolveSrv(NAME);
  if (h.answers.length !== 3 || c.length !== 3) throw new Error(`unexpected answers: herald ${h.answers.length}, c-ares ${c.length}`);

  const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };
  const seq = new Map<string, { lat: number[]; cpuUs: number; n: number; perRound: number[]; p50PerRound: number[] }>();
  const contenders: [string, Once][] = [['floor', floor], ['floor+ports', floorPorts], ['herald', herald], ['c-ares', caresOnce]];
  if (base !== undefined) contenders.splice(3, 0, ['herald@base', () => base.lookup(NAME, 'SRV', baseOptions)]);
  for (const [, once] of contenders) for (let i = 0; i < WARMUP; i++) await once(); // warm up JIT
  // Interleaved rounds, so that drift on a shared machine hits everyone alike.
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, once] of contenders) {
      const entry = seq.get(label) ?? { lat: [], cpuUs: 0, n: 0, perRound: [], p50PerRound: [] };
      seq.set(label, entry);
      const round: number[] = [];
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < SEQUENTIAL / ROUNDS; i++) {
        const t0 = performance.now();
        await once();
        round.push(performance.now() - t0);
      }
      const cpu = process.cpuUsage(cpu0);
      entry.lat.push(...round);
      entry.p50PerRound.push(pct(round, 0.5));
      entry.cpuUs += cpu.user + cpu.system;
      entry.n += SEQUENTIAL / ROUNDS;
      entry.perRound.push((cpu.user + cpu.system) / (SEQUENTIAL / ROUNDS));
    }
  }

  const digLat: number[] = [];
  for (let i = 0; i < DIG_COUNT; i++) {
    const t0 = performance.now();
    await dig([`@${bind.address}`, '-p', String(bind.port), 'SRV', NAME, '+short']);
    digLat.push(performance.now() - t0);
  }

  const concurrent = async (once: Once): Promise<number> => {
    let left = CONCURRENT_TOTAL;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENT }, async () => { while (left-- > 0) await once(); }));
    return CONCURRENT_TOTAL / ((performance.now() - t0) / 1000);
  };
  const rate = new Map<string, number[]>();
  for (let r = 0; r < 2; r++) {
    for (const [label, once] of contenders) {
      const list = rate.get(label) ?? [];
      list.push(await concurrent(once));
      rate.set(label, list);
    }
  }

  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  const stat = (label: string) => {
    const e = seq.get(label)!;
    return { p50: pct(e.lat, 0.5), p99: pct(e.lat, 0.99), cpu: e.cpuUs / e.n / 1000 };
  };
  const best = (label: string) => Math.max(...rate.get(label)!);
  console.log(`resolver-lookup: SRV ${NAME} (3 targets) from BIND on loopback, ${SEQUENTIAL} sequential lookups each, ${CONCURRENT_TOTAL} at concurrency ${CONCURRENT}`);
  for (const [label] of contenders) {
    const s = stat(label);
    console.log(`  ${label.padEnd(label.length > 11 ? label.length : 11)} p50 ${us(s.p50)}  p99 ${us(s.p99)}  CPU ${us(s.cpu)}/lookup  ${best(label).toFixed(0)} lookups/s at c=${CONCURRENT}`);
  }
  console.log(`  dig         p50 ${(pct(digLat, 0.5)).toFixed(1)} ms  p99 ${(pct(digLat, 0.99)).toFixed(1)} ms  (node-dig-dns shell-out, ${DIG_COUNT} runs)`);
  const hs = stat('herald');
  const fs = stat('floor');
  console.log(`herald vs dig shell-out, p50: ${(pct(digLat, 0.5) / hs.p50).toFixed(0)}× faster (target ≥ 100×)`);
  // The machine may be shared: compare round by round (each round runs every contender back to back) and take the median.
  const perRound = (field: 'perRound' | 'p50PerRound', anchor = 'floor') => pct(seq.get('herald')![field].map((h, i) => h / seq.get(anchor)![field][i]!), 0.5);
  console.log(`herald vs floor, p50: ${(hs.p50 / fs.p50).toFixed(2)}× overall, median of ${ROUNDS} interleaved rounds ${perRound('p50PerRound').toFixed(2)}× (target ≤ 1.2×)`);
  console.log(`herald vs floor, CPU per lookup: ${(hs.cpu / fs.cpu).toFixed(2)}× overall, median of ${ROUNDS} interleaved rounds ${perRound('perRound').toFixed(2)}× (target ≤ 1.2×)`);
  const ps = stat('floor+ports');
  console.log(`herald vs floor+ports (the same fresh-port policy), CPU per lookup: ${(hs.cpu / ps.cpu).toFixed(2)}× overall, median of rounds ${perRound('perRound', 'floor+ports').toFixed(2)}×; fresh ports alone: ${(ps.cpu / fs.cpu).toFixed(2)}× the floor`);
  if (base !== undefined) console.log(`herald vs herald@base (${HERALD_BASE}), CPU per lookup: ${(hs.cpu / stat('herald@base').cpu).toFixed(2)}× overall, median of rounds ${perRound('perRound', 'herald@base').toFixed(2)}×; herald@base vs floor: median of rounds ${pct(seq.get('herald@base')!.perRound.map((b, i) => b / seq.get('floor')!.perRound[i]!), 0.5).toFixed(2)}×`);
  console.log(`herald vs c-ares, lookups/s at c=${CONCURRENT}: ${(best('herald') / best('c-ares')).toFixed(2)}× (target ≥ 1.0×)`);
  const st = client.stats.get(bind.nameserver)!;
  console.log(`  (herald client: ${st.queries} queries, ${st.timeouts} timeouts, ${st.rejected} rejected replies)`);
  raw.close();
  for (const port of ports) if (port !== undefined && port.open === 0) port.socket.close();
  client.close();
  baseClient?.close();
} finally {
  await bind.stop();
}
