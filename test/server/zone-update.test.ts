import t from 'tap';
import fc from 'fast-check';
import { reverseName } from '../../src/dns/name.ts';
import { RecordType } from '../../src/dns/types.ts';
import { diffSnapshots } from '../../src/registry/delta.ts';
import { childPath, parentPath } from '../../src/registry/path.ts';
import { buildSnapshot, type TreeNode } from '../../src/registry/snapshot.ts';
import type { Snapshot } from '../../src/registry/store.ts';
import { answer } from '../../src/server/answer.ts';
import { answerSubject, changedSubjects } from '../../src/server/answer-subject.ts';
import { buildZone, newRejections, rejectedList, type Zone } from '../../src/server/zone.ts';
import { updateZone } from '../../src/server/zone-update.ts';

// The incremental path against the full build: random sequences of registry
// writes (services, members, bad JSON, bad addresses, names DNS cannot carry,
// one name in two cases, dotted labels, shared addresses, subtrees removed
// whole) applied to one zone step by step through updateZone, each step
// compared with buildZone of the whole new snapshot: the same names,
// reverse index, rejections and shadowed spellings; the same rejections
// reported as new; and every answer that differs between the two states
// filed under a subject the change invalidates.
const D = 'z.test';
const ROOT = '/test/z';

const labels = ['svc', 'SVC', 'Svc', 'web', 'a', 'A', 'b', 'a.b', 'i1', 'I1', 'i2', 'x'.repeat(64), 'bad label'];
const addresses = ['10.0.0.1', '10.0.0.2', '10.0.0.1', 'fd00::1', 'fd00:0:0::1', null];
const service = (srvce: string, port: number) => JSON.stringify({ type: 'service', service: { type: 'service', service: { srvce, proto: '_tcp', port, ttl: 60 } } });
const host = (type: string, address: string | null, ttl: number) => JSON.stringify({ type, address, ttl, [type]: { address, ports: [80] } });
const data = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('load_balancer', 'moray_host', 'host', 'db_host'), fc.constantFrom(...addresses), fc.constantFrom(10, 30)).map(([ty, a, ttl]) => host(ty, a, ttl)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('_http', '_moray'), fc.constantFrom(80, 2020)).map(([s, p]) => service(s, p)) },
  { weight: 1, arbitrary: fc.constantFrom('{', '{"type":"weird"}', '{"type":"load_balancer","address":"300.1.1.1"}', '{"type":"database","database":{"primary":"tcp://10.0.0.2:5432"}}', null) },
);
const path = fc.array(fc.constantFrom(...labels), { minLength: 0, maxLength: 3 }).map((ls) => [ROOT, ...ls].join('/'));
const op = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('put' as const), path, data }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), path }) },
);
const steps = fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 });

/** A tree as a store holds it: parents created with null data, a delete takes the subtree. */
function applyOp(tree: Map<string, TreeNode>, o: { kind: 'put'; path: string; data: string | null } | { kind: 'delete'; path: string }): void {
  if (o.kind === 'put') {
    let p = o.path;
    const chain: string[] = [];
    while (!tree.has(p) && p !== '/') { chain.push(p); p = parentPath(p); }
    for (const c of chain.reverse()) {
      tree.set(c, { data: null, children: new Set() });
      tree.get(parentPath(c))?.children.add(c.slice(c.lastIndexOf('/') + 1));
    }
    tree.get(o.path)!.data = o.data;
    return;
  }
  const stack = [o.path];
  tree.get(parentPath(o.path))?.children.delete(o.path.slice(o.path.lastIndexOf('/') + 1));
  while (stack.length) {
    const p = stack.pop()!;
    const n = tree.get(p);
    if (!n) continue;
    for (const c of n.children) stack.push(childPath(p, c));
    tree.delete(p);
  }
}

/** A zone as plain data, order-insensitive where the zone's maps are. */
function plain(z: Zone): unknown {
  const rec = (r: unknown) => (r instanceof Error ? `error: ${r.message}` : r);
  return {
    names: [...z.names].sort().map(([k, e]) => [k, e.name, e.path, e.data, [...e.children], rec(e.record)]),
    reverse: [...z.reverse].sort().map(([a, l]) => [a, [...l]]),
    rejected: rejectedList(z),
    shadowed: [...z.shadowed].sort().map(([k, l]) => [k, l.map((e) => e.path).sort()]),
  };
}

/** Every question whose answer one of the zones could cache. */
function questions(zones: Zone[]): [number, string][] {
  const out: [number, string][] = [];
  for (const z of zones) {
    for (const key of z.names.keys()) {
      for (const type of [RecordType.A, RecordType.AAAA, RecordType.TXT]) out.push([type, key]);
      for (const s of ['_http', '_moray', '_other']) out.push([RecordType.SRV, `${s}._tcp.${key}`]);
    }
    for (const address of z.reverse.keys()) {
      out.push([RecordType.PTR, reverseName(address)]);
      if (!address.includes(':')) out.push([RecordType.PTR, reverseName(address).replace(/^(\d+)\./, '00$1.')]);
    }
  }
  return out;
}

const key = (r: { path: string; reason: string; message: string }) => `${r.path} ${r.reason} ${r.message}`;

t.test('updateZone reaches the zone buildZone builds, reports the same new rejections, and invalidates every answer it changes', async (t) => {
  let checks = 0;
  let zones = 0;
  fc.assert(fc.property(steps, (batches) => {
    const tree = new Map<string, TreeNode>();
    let snapshot: Snapshot = buildSnapshot(ROOT, tree);
    let full = buildZone(snapshot, D);
    const zone = buildZone(snapshot, D);
    for (const batch of batches) {
      for (const o of batch) applyOp(tree, o);
      const next = buildSnapshot(ROOT, tree);
      const change = updateZone(zone, diffSnapshots(snapshot, next));
      const nextFull = buildZone(next, D);
      const [got, want] = [JSON.stringify(plain(zone)), JSON.stringify(plain(nextFull))];
      if (got !== want) t.fail('the updated zone differs from the full build', { got, want, batches: JSON.stringify(batches) });
      const [reported, fresh] = [change.rejected.map(key).sort(), newRejections(full, nextFull).map(key).sort()];
      if (reported.join('\n') !== fresh.join('\n')) t.fail('new rejections differ', { reported, fresh });
      zones++;
      const invalid = changedSubjects(change, D);
      for (const [type, name] of questions([full, nextFull])) {
        const before = answer(full, name, type);
        if (!before.cacheable) continue;
        if (JSON.stringify(before) !== JSON.stringify(answer(nextFull, name, type)) && !invalid.has(answerSubject(type, name))) {
          t.fail(`the answer to ${type} ${name} changed but its subject ${answerSubject(type, name)} was not invalidated`);
        }
        checks++;
      }
      snapshot = next;
      full = nextFull;
    }
  }), { numRuns: 150, seed: 16 });
  t.ok(checks > 1000, `${checks} answers compared`);
  t.ok(zones > 500, `${zones} zones compared`);
});

t.test('a case collision: the greater path holds, the other is rejected once and holds again when the holder goes', async (t) => {
  const tree = new Map<string, TreeNode>();
  applyOp(tree, { kind: 'put', path: `${ROOT}/web`, data: host('load_balancer', '10.0.0.1', 30) });
  applyOp(tree, { kind: 'put', path: `${ROOT}/WEB`, data: host('load_balancer', '10.0.0.2', 30) });
  const s1 = buildSnapshot(ROOT, tree);
  const zone = buildZone(s1, D);
  t.equal(zone.names.get('web.z.test')?.path, `${ROOT}/web`, 'the lower-case spelling holds');
  t.match(rejectedList(zone), [{ path: `${ROOT}/WEB`, reason: 'name', message: 'same name as web.z.test in another case' }]);
  applyOp(tree, { kind: 'delete', path: `${ROOT}/web` });
  const s2 = buildSnapshot(ROOT, tree);
  const change = updateZone(zone, diffSnapshots(s1, s2));
  t.equal(zone.names.get('web.z.test')?.path, `${ROOT}/WEB`, 'the other spelling holds now');
  t.same(rejectedList(zone), []);
  t.same(zone.reverse.get('10.0.0.2'), ['WEB.z.test']);
  t.notOk(zone.reverse.has('10.0.0.1'));
  t.same([...change.addresses].sort(), ['10.0.0.1', '10.0.0.2']);
  t.same(change.rejected, [], 'nothing new rejected');
});
