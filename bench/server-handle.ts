// Figure: CPU per query of the responder alone, in-process (no sockets):
// `Responder.handle` on cached queries (the bench's SRV + A questions of
// bench/server-qps.ts), then with RRL's gate after it, against the anchor
// of the Node floor's handler (bench/lib/node-floor-server.ts: a
// precomputed reply copied and patched by ID). Interleaved rounds of
// QUERIES each; medians. What the responder adds per packet beyond a copy,
// without the kernel's and Node's socket cost that bench/server-qps.ts
// measures around it (the RRL gate against the same path making the
// address string each reply, as a socket does). BENCH_QUERIES (1,000,000) per round, BENCH_ROUNDS (5).
// BENCH_BASE=DIR: another checkout's Responder and gate (say, the commit
// before a change) measured in the same rounds, with the median of each
// round's difference: before/after on a shared machine, where separate runs
// differ by more than a change does.
import { Buffer } from 'node:buffer';
import { encodeQuery, RecordType } from '../src/dns/index.ts';
import { hostRecordJson, serviceRecordJson } from '../src/registry/records.ts';
import type { SnapshotNode } from '../src/registry/store.ts';
import { Responder } from '../src/server/responder.ts';
import { RrlGate } from '../src/server/rrl-gate.ts';
import { percentile } from './lib/udp-query.ts';

const QUERIES = Number(process.env['BENCH_QUERIES'] ?? 1_000_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const D = 'coal.joyent.us';

const snapshot = new Map<string, SnapshotNode>();
const node = (path: string, data: string | null, children: string[] = []) => snapshot.set(path, { path, data, children });
node('/us/joyent/coal', null, ['moray']);
node('/us/joyent/coal/moray', serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2021 } }), ['a', 'b', 'c']);
['a', 'b', 'c'].forEach((n, i) => node(`/us/joyent/coal/moray/${n}`, hostRecordJson({ type: 'moray_host', address: `10.0.0.${i + 1}`, ports: [2021], ttl: 30 })));
/** A responder over the records and a gate whose limit no round reaches (every reply pays the gate's whole path and is sent). */
const answering = (R: typeof Responder, G: typeof RrlGate) => {
  const r = new R(D, 10_000);
  r.setSnapshot(snapshot);
  return { responder: r, gate: new G({ responsesPerSecond: 1_000_000 }, r.stats) };
};
const { responder, gate } = answering(Responder, RrlGate);
const BASE = process.env['BENCH_BASE'];
const base = BASE ? answering(
  (await import(`${BASE}/src/server/responder.ts`) as { Responder: typeof Responder }).Responder,
  (await import(`${BASE}/src/server/rrl-gate.ts`) as { RrlGate: typeof RrlGate }).RrlGate) : undefined;
const queries = [encodeQuery({ id: 1, name: `_moray._tcp.moray.${D}`, type: RecordType.SRV }), encodeQuery({ id: 2, name: `moray.${D}`, type: RecordType.A }), encodeQuery({ id: 3, name: `a.moray.${D}`, type: RecordType.A })];
const replies = queries.map((q) => responder.handle(q, false)!);
const byLength: Buffer[] = [];
queries.forEach((q, i) => { byLength[q.length] = replies[i]!; });
// rinfo.address is a new string for every packet.
const address = () => ['127.0.0', '1'].join('.');

const subjects: Record<string, (q: Buffer) => Buffer | undefined> = {
  'node floor handler': (q) => { const r = byLength[q.length]!; const out = Buffer.allocUnsafe(r.length); out.set(r); out[0] = q[0]!; out[1] = q[1]!; return out; },
  'Responder.handle': (q) => responder.handle(q, false),
  // The address string alone (its making is the socket's cost, not RRL's): the anchor of RRL's figure.
  'handle + address': (q) => { const r = responder.handle(q, false); return address().length > 0 ? r : undefined; },
  'handle + RRL gate': (q) => { const r = responder.handle(q, false); return r && gate.pass(r, address(), responder.answerKey); },
  ...(base ? {
    'base handle': (q: Buffer) => base.responder.handle(q, false),
    'base handle + RRL': (q: Buffer) => { const r = base.responder.handle(q, false); return r && base.gate.pass(r, address(), base.responder.answerKey); },
  } : {}),
};
const us = new Map<string, number[]>(Object.keys(subjects).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, f] of Object.entries(subjects)) {
    let bytes = 0;
    const start = process.cpuUsage();
    for (let i = 0; i < QUERIES; i++) bytes += f(queries[i % 3]!)!.length;
    const used = process.cpuUsage(start);
    if (bytes === 0) throw new Error('no replies');
    us.get(name)!.push((used.user + used.system) / QUERIES);
  }
}
const med = (name: string) => percentile([...us.get(name)!].sort((a, b) => a - b), 50);
console.log(`responder CPU per cached query, in-process, median of ${ROUNDS} interleaved rounds of ${QUERIES} queries`);
for (const name of Object.keys(subjects)) console.log(`${name.padEnd(20)} ${med(name).toFixed(3)} µs`);
if (base) {
  const paired = (a: string, b: string) => { const d = us.get(a)!.map((x, i) => (x - us.get(b)![i]!) * 1000).sort((x, y) => x - y); return percentile(d, 50).toFixed(0); };
  console.log(`this checkout - ${BASE}, median of the rounds' differences: handle ${paired('Responder.handle', 'base handle')} ns, handle + RRL gate ${paired('handle + RRL gate', 'base handle + RRL')} ns a query`);
}
console.log(`handle beyond the floor's copy: ${(med('Responder.handle') - med('node floor handler')).toFixed(3)} µs; RRL: ${(med('handle + RRL gate') - med('handle + address')).toFixed(3)} µs a reply`);
