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

t.test('a shuffled reply encodes one order up front and each other one when a query first draws it', async (t) => {
  const w = encoded(`svc8.${D}`, RecordType.A);
  t.equal(w.variants.length, orderCount(8), 'as many slots as orders');
  t.equal(filled(w), 1, 'only the first order is encoded when cached');
  const served = new Set<string>();
  for (let i = 0; i < 400; i++) served.add(serve(w, 1232, false).toString('hex'));
  t.equal(filled(w), w.variants.length, 'every order encoded once drawn');
  t.equal(w.encodeVariant, undefined, 'the answer it encodes from is let go once every slot is filled');
  t.ok(served.size > 1, `${served.size} different orders served`);
  const lengths = new Set(w.variants.map((v) => v!.length));
  t.equal(lengths.size, 1, 'every order has the same length');
  const sets = new Set(w.variants.map((v) => JSON.stringify(decodeMessage(v!).answers.map((r) => JSON.stringify(r)).sort())));
  t.equal(sets.size, 1, 'every order holds the same records');
  const fronts = new Set(w.variants.map((v) => firstAnswer(v!)));
  t.ok(fronts.size > 1, 'the first record takes turns');
});

t.test('a small shuffled reply: every permutation, each encoded when first drawn', async (t) => {
  const w = encoded(`_http._tcp.svc3.${D}`, RecordType.SRV);
  t.equal(w.variants.length, 6);
  t.equal(filled(w), 1);
  for (let i = 0; i < 300; i++) serve(w, 0, false);
  t.equal(new Set(w.variants.map((v) => v!.toString('hex'))).size, 6, 'six distinct orders');
});

t.test('a reply that goes out truncated draws no order: nothing more is encoded for it', async (t) => {
  const w = encoded(`_http._tcp.svc40.${D}`, RecordType.SRV);
  t.ok(w.variants[0]!.length > 1470, 'larger than any UDP reply');
  for (let i = 0; i < 100; i++) {
    t.same(serve(w, 0, false), w.truncated, 'plain UDP: truncated');
    serve(w, 4096, false);
  }
  t.equal(filled(w), 1, 'still only the first order');
  for (let i = 0; i < 200; i++) serve(w, 0, true);
  t.ok(filled(w) > 1, 'over TCP the orders are drawn');
});

t.test('an unshuffled reply has one variant and no encoder', async (t) => {
  const w = encoded(`i0.svc8.${D}`, RecordType.A);
  t.equal(w.variants.length, 1);
  t.equal(w.encodeVariant, undefined);
  t.same(serve(w, 0, false), w.variants[0]);
});
