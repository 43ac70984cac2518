import t from 'tap';
import { decodeMessage, RecordType } from '../../src/dns/index.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import type { Snapshot, SnapshotNode } from '../../src/registry/store.ts';
import { answer } from '../../src/server/answer.ts';
import { encodeAnswer, finish, orderCount, type WireAnswer } from '../../src/server/response.ts';
import { buildZone } from '../../src/server/zone.ts';

const D = 'coal.joyent.us';
const ROOT = '/us/joyent/coal';

/** A zone with a service `svc<n>` of `n` members for each n in `sizes`. */
function zoneOf(sizes: number[]) {
  const snapshot = new Map<string, SnapshotNode>();
  const add = (path: string, data: string | null, children: string[] = []) => snapshot.set(path, { path, data, children } as SnapshotNode);
  add(ROOT, null, sizes.map((n) => `svc${n}`));
  for (const n of sizes) {
    const members = Array.from({ length: n }, (_, i) => `i${i}`);
    add(`${ROOT}/svc${n}`, serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }), members);
    for (const [i, m] of members.entries()) add(`${ROOT}/svc${n}/${m}`, hostRecordJson({ type: 'load_balancer', address: `10.0.${n}.${i + 1}`, ports: [80] }));
  }
  return buildZone(snapshot as Snapshot, D);
}

const zone = zoneOf([3, 8, 40]);
const encoded = (name: string, type: number): WireAnswer => encodeAnswer(name, type, answer(zone, name, type));
const filled = (w: WireAnswer) => w.variants.filter((v) => v !== undefined).length;
const firstAnswer = (b: Buffer) => JSON.stringify(decodeMessage(b).answers[0]);
/** A query with ID 0 and rd clear: `finish` then patches nothing, so its reply is the cached bytes (plus an OPT with EDNS). */
const QUERY = Buffer.alloc(12);
const serve = (w: WireAnswer, ednsSize: number, tcp: boolean) => finish(w, QUERY, 12, ednsSize, tcp);

t.test('a shuffled reply encodes each order when a query first draws it', async (t) => {
  const w = encoded(`svc8.${D}`, RecordType.A);
  t.equal(w.variants.length, orderCount(8), 'as many slots as orders');
  t.equal(filled(w), 0, 'no order is encoded when cached: its length is known from the records');
  const served = new Set<string>();
  for (let i = 0; i < 400; i++) served.add(serve(w, 1232, false).toString('hex'));
  t.equal(filled(w), w.variants.length, 'every order encoded once drawn');
  t.equal(w.encodeVariant, undefined, 'the answer it encodes from is let go once every slot is filled');
  t.ok(served.size > 1, `${served.size} different orders served`);
  const lengths = new Set(w.variants.map((v) => v!.length));
  t.same([...lengths], [w.length], 'every order has the length known before any was written');
  const sets = new Set(w.variants.map((v) => JSON.stringify(decodeMessage(v!).answers.map((r) => JSON.stringify(r)).sort())));
  t.equal(sets.size, 1, 'every order holds the same records');
  const fronts = new Set(w.variants.map((v) => firstAnswer(v!)));
  t.ok(fronts.size > 1, 'the first record takes turns');
});

t.test('a small shuffled reply: every permutation, each encoded when first drawn', async (t) => {
  const w = encoded(`_http._tcp.svc3.${D}`, RecordType.SRV);
  t.equal(w.variants.length, 6);
  t.equal(filled(w), 0);
  for (let i = 0; i < 300; i++) serve(w, 0, false);
  t.equal(new Set(w.variants.map((v) => v!.toString('hex'))).size, 6, 'six distinct orders');
});

t.test('a reply that goes out truncated draws no order: none of it is written', async (t) => {
  const w = encoded(`_http._tcp.svc40.${D}`, RecordType.SRV);
  t.ok(w.length > 1470, 'larger than any UDP reply');
  for (let i = 0; i < 100; i++) {
    t.same(serve(w, 0, false), w.truncated, 'plain UDP: truncated');
    serve(w, 4096, false);
  }
  t.equal(filled(w), 0, 'no order written');
  for (let i = 0; i < 200; i++) serve(w, 0, true);
  t.ok(filled(w) > 1, 'over TCP the orders are drawn');
  t.ok(w.variants.every((v) => v === undefined || v.length === w.length), 'each one the length the truncation was decided by');
});

t.test('a service of ten members: its SRV reply is over 512 bytes, so plain UDP gets it truncated, unwritten; EDNS gets it whole', async (t) => {
  const z = zoneOf([10]);
  const name = `_http._tcp.svc10.${D}`;
  const w = encodeAnswer(name, RecordType.SRV, answer(z, name, RecordType.SRV));
  t.ok(w.length > 512 && w.length <= 1470, `${w.length} bytes`);
  t.same(serve(w, 0, false), w.truncated);
  t.equal(filled(w), 0);
  const whole = serve(w, 1232, false);
  t.equal(whole.length, w.length + 11, 'the whole reply and an OPT record');
  t.equal(decodeMessage(whole).answers.length, 10);
  t.equal(filled(w), 1, 'the order drawn, written once');
});

t.test('an unshuffled reply has one variant and no encoder', async (t) => {
  const w = encoded(`i0.svc8.${D}`, RecordType.A);
  t.equal(w.variants.length, 1);
  t.equal(w.encodeVariant, undefined);
  t.same(serve(w, 0, false), w.variants[0]);
});

t.test('an order that cannot be written when a query draws it goes out truncated, never a throw', async (t) => {
  // Intake's checks keep such a record out of every zone; built by hand here, where nothing checks it.
  const name = `svc.${D}`;
  const bogus = (address: string) => ({ name, type: RecordType.A, class: 1, ttl: 30, address });
  const a = { rcode: 0, aa: true, answers: [bogus('10.0.0.1'), bogus('10.0.0.999')], authorities: [], additionals: [], shuffle: true, cacheable: true };
  const w = encodeAnswer(name, RecordType.A, a);
  t.equal(w.length, 12 + name.length + 2 + 4 + 2 * 16, 'its length, from the fields alone');
  let out: Buffer | undefined;
  t.doesNotThrow(() => { out = serve(w, 1232, false); });
  t.equal((out![2]! & 0x02) !== 0, true, 'TC set: the client asks again over TCP');
  t.equal(decodeMessage(out!).answers.length, 0);
});
