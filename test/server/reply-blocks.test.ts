import t from 'tap';
import fc from 'fast-check';
import { emptyMessage, encodeMessage, CLASS_IN, RecordType } from '../../src/dns/index.ts';
import type { Snapshot, SnapshotNode } from '../../src/registry/store.ts';
import { answer } from '../../src/server/answer.ts';
import { assembleOrder, replyBlocks } from '../../src/server/reply-blocks.ts';
import { encodeAnswer } from '../../src/server/response.ts';
import { buildZone } from '../../src/server/zone.ts';

// A shuffled reply laid out from its records' bytes must be, byte for byte,
// what the generic encoder (src/dns: `encodeMessage`, name compression and
// all) writes for the same order: that is what makes it safe to serve.
const D = 'coal.joyent.us';
const ROOT = '/us/joyent/coal';

interface Member { label: string; address: string; ports: number[]; ttl: number | undefined }

/** A zone holding one service `svc` with these members (their labels unique case aside). */
function zoneWith(members: Member[]) {
  const snapshot = new Map<string, SnapshotNode>();
  const add = (path: string, data: string | null, children: string[] = []) => snapshot.set(path, { path, data, children } as SnapshotNode);
  add(ROOT, null, ['svc']);
  add(`${ROOT}/svc`, JSON.stringify({ type: 'service', service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: 80, ttl: 60 } } }), members.map((m) => m.label));
  for (const m of members) {
    add(`${ROOT}/svc/${m.label}`, JSON.stringify({ type: 'load_balancer', address: m.address, ...(m.ttl === undefined ? {} : { ttl: m.ttl }), load_balancer: { address: m.address, ports: m.ports } }));
  }
  return buildZone(snapshot as Snapshot, D);
}

/** What the generic encoder writes for answer `a` of (name, type) with its answers in `order`. */
function generic(name: string, type: number, a: ReturnType<typeof answer>, order: number[]): Buffer {
  return encodeMessage({
    ...emptyMessage(0), qr: true, aa: a.aa, rcode: a.rcode,
    questions: [{ name, type, class: CLASS_IN }],
    answers: order.map((i) => a.answers[i]!), authorities: a.authorities, additionals: a.additionals,
  });
}

/** The header and question a reply of `a` starts with, as the generic encoder writes them. */
function prefixOf(name: string, type: number, a: ReturnType<typeof answer>): Buffer {
  const whole = generic(name, type, { ...a, answers: [], additionals: [] }, []);
  whole.writeUInt16BE(a.answers.length, 6);
  whole.writeUInt16BE(a.additionals.length, 10);
  return whole;
}

const memberArb = fc.record({
  label: fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,20}$/),
  address: fc.oneof({ weight: 4, arbitrary: fc.ipV4() }, { weight: 1, arbitrary: fc.ipV6() }),
  ports: fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
  ttl: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
});
const membersArb = fc.uniqueArray(memberArb, { minLength: 2, maxLength: 60, selector: (m) => m.label.toLowerCase() });

t.test('every order laid out from the blocks is the generic encoding of that order, byte for byte', async (t) => {
  let checked = 0;
  fc.assert(fc.property(membersArb, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (members, seeds) => {
    const zone = zoneWith(members);
    for (const [name, type] of [[`_http._tcp.svc.${D}`, RecordType.SRV], [`svc.${D}`, RecordType.A], [`svc.${D}`, RecordType.AAAA]] as const) {
      const a = answer(zone, name, type);
      if (a.answers.length < 2) continue;
      const blocks = replyBlocks(prefixOf(name, type, a), name, a);
      const whole = generic(name, type, a, a.answers.map((_, i) => i));
      // Every reply these services make is within pointer reach: each must be laid out from blocks.
      if (!blocks) throw new Error(`no blocks for a ${whole.length}-byte ${type} reply`);
      // Its length is known from the records' fields, before a byte of them is written.
      if (blocks.records !== undefined || blocks.length !== whole.length) throw new Error(`laid out as ${blocks.length} bytes (written: ${blocks.records !== undefined}), encoded as ${whole.length}`);
      for (const seed of seeds) {
        // A deterministic shuffle per seed: the order a sampled variant might be.
        const order = a.answers.map((_, i) => i).sort((x, y) => ((x * 7919 + seed) % 101) - ((y * 7919 + seed) % 101) || x - y);
        const laid = assembleOrder(blocks, order);
        const expected = generic(name, type, a, order);
        if (!laid.equals(expected)) throw new Error(`order ${order.join(',')} of ${name} ${type}: ${laid.toString('hex')} != ${expected.toString('hex')}`);
        checked++;
      }
    }
  }), { numRuns: 300 });
  t.ok(checked > 500, `${checked} orders compared`);
});

t.test('a member with several ports: its address record points at the last SRV record naming it, as the encoder does', async (t) => {
  const zone = zoneWith([
    { label: 'a', address: '10.0.0.1', ports: [80, 81, 82], ttl: 30 },
    { label: 'B', address: '10.0.0.2', ports: [80], ttl: undefined },
  ]);
  const name = `_http._tcp.svc.${D}`;
  const a = answer(zone, name, RecordType.SRV);
  t.equal(a.answers.length, 4);
  const blocks = replyBlocks(prefixOf(name, RecordType.SRV, a), name, a)!;
  t.ok(blocks, 'laid out from blocks');
  for (const order of [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]]) t.same(assembleOrder(blocks, order), generic(name, RecordType.SRV, a, order), `order ${order.join(',')}`);
});

t.test('replies of another shape are encoded whole, and served the same', async (t) => {
  const members = Array.from({ length: 300 }, (_, i) => ({ label: `instance-with-a-long-name-${i}`, address: `10.1.${i >> 8}.${i & 255}`, ports: [80], ttl: 30 }));
  const zone = zoneWith(members);
  const name = `_http._tcp.svc.${D}`;
  const a = answer(zone, name, RecordType.SRV);
  t.equal(replyBlocks(prefixOf(name, RecordType.SRV, a), name, a), undefined, 'over 16 KiB: past where compression pointers reach');
  const w = encodeAnswer(name, RecordType.SRV, a);
  t.ok(w.length > 0x4000);
  t.equal(w.variants.filter((v) => v !== undefined).length, 1, 'its first order encoded up front: that is how its length is known');
  t.equal(w.variants[0]!.length, w.length);
  const third = a.answers[2]!;
  if (!('target' in third)) throw new Error('an SRV answer');
  const mixed = { ...a, answers: [...a.answers.slice(0, 2), { ...third, target: `x.${third.target}` }] };
  t.equal(replyBlocks(prefixOf(name, RecordType.SRV, mixed), name, mixed), undefined, 'targets of different depths (one could be a suffix of another)');
  const authority = { ...a, authorities: [a.additionals[0]!] };
  t.equal(replyBlocks(prefixOf(name, RecordType.SRV, authority), name, authority), undefined, 'an authority section');
});
