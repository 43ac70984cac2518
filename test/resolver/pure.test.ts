import t from 'tap';
import { makeBackend } from '../../src/resolver/backend-source.ts';
import { diffBackends } from '../../src/resolver/backends-diff.ts';
import { FreshPortCheck } from '../../src/resolver/fresh-port-check.ts';
import { PendingQueries } from '../../src/resolver/pending-queries.ts';
import { srvBackends } from '../../src/resolver/srv-backends.ts';
import { clampTtl, MAX_TIMER_MS, refreshDelayMs, retryDelayMs } from '../../src/resolver/ttl.ts';
import { parseNameserver, parseNameservers, parseResolvConf } from '../../src/index.ts';

t.test('nameserver strings', async (t) => {
  t.match(parseNameserver('10.0.0.1'), { address: '10.0.0.1', port: 53, family: 4, key: '10.0.0.1:53' });
  t.match(parseNameserver('10.0.0.1:5353'), { port: 5353, key: '10.0.0.1:5353' });
  t.match(parseNameserver('[::1]:5353'), { address: '::1', port: 5353, family: 6, key: '[::1]:5353' });
  t.match(parseNameserver('::1'), { address: '::1', port: 53 });
  t.match(parseNameserver('[fd00:0:0::1]'), { address: 'fd00::1', key: '[fd00::1]:53' });
  t.same(parseNameservers('10.0.0.1, 10.0.0.2:54').map((n) => n.key), ['10.0.0.1:53', '10.0.0.2:54']);
  t.throws(() => parseNameserver('ns1.example.com'), { code: 'HERALD_INVALID_NAMESERVER', message: /not an IP address/ });
  t.throws(() => parseNameserver('10.0.0.1:0'), /port "0"/);
  t.throws(() => parseNameserver('10.0.0.1:x'), /port "x"/);
  t.throws(() => parseNameserver('[10.0.0.1]:53'), /brackets are for IPv6/);
});

t.test('resolv.conf', async (t) => {
  const list = parseResolvConf('# comment\nsearch coal.joyent.us\nnameserver 10.99.99.11\nnameserver fd00::53 # v6\n; nameserver 1.1.1.1\nnameserver bogus\noptions ndots:1\n');
  t.same(list.map((n) => n.key), ['10.99.99.11:53', '[fd00::53]:53']);
});

t.test('TTL clamping and jitter', async (t) => {
  const bounds = { minTtl: 1, maxTtl: 3600 };
  t.equal(clampTtl(0, bounds), 1);
  t.equal(clampTtl(30, bounds), 30);
  t.equal(clampTtl(2 ** 31, bounds), 3600);
  t.equal(refreshDelayMs(30, bounds, 0.1, () => 0), 30_000);
  t.equal(refreshDelayMs(30, bounds, 0.1, () => 0.999999), 33_000);
  t.equal(refreshDelayMs(2 ** 31, { minTtl: 1, maxTtl: 2 ** 40 }, 0.1, () => 1), MAX_TIMER_MS, 'never beyond a timer');
  t.equal(retryDelayMs(1, 100, 1000, () => 0.5), 100);
  t.equal(retryDelayMs(3, 100, 1000, () => 0.5), 400);
  t.equal(retryDelayMs(50, 100, 1000, () => 0.5), 1000);
});

t.test('record-set diffing by key', async (t) => {
  const b = (address: string, weight = 10) => makeBackend({ name: 'x', address, port: 80, priority: 0, weight });
  const d = diffBackends([b('10.0.0.1'), b('10.0.0.2')], [b('10.0.0.2', 20), b('10.0.0.3'), b('10.0.0.3')]);
  t.same(d.added.map((x) => x.address), ['10.0.0.3'], 'a duplicate counts once');
  t.same(d.removed.map((x) => x.address), ['10.0.0.1']);
  t.same(d.changed.map((x) => x.weight), [20]);
});

t.test('SRV backends: every priority group, each with its priority, duplicates once, sorted', async (t) => {
  const srv = [
    { target: 'b', port: 80, priority: 0, weight: 10 },
    { target: 'a', port: 80, priority: 0, weight: 10 },
    { target: 'a', port: 80, priority: 0, weight: 10 },
    { target: 'c', port: 80, priority: 1, weight: 10 },
  ];
  const addrs: Record<string, string[]> = { a: ['10.0.0.1'], b: ['10.0.0.2'], c: ['10.0.0.3'] };
  t.same(srvBackends(srv, (x) => addrs[x]).map((x) => `${x.priority} ${x.key}`), ['0 a:80@10.0.0.1', '0 b:80@10.0.0.2', '1 c:80@10.0.0.3'], 'the fallback group too, for the agent');
  t.same(srvBackends(srv, (x) => (x === 'c' ? addrs[x] : [])).map((x) => x.key), ['c:80@10.0.0.3'], 'the next group alone when the lowest has no addresses');
  t.same(srvBackends([{ target: 'a', port: 80, priority: 5, weight: 10 }, { target: 'a', port: 80, priority: 1, weight: 3 }], (x) => addrs[x]).map((x) => `${x.priority} ${x.weight}`), ['1 3'], 'listed in two groups: the lower one');
});

t.test('fresh ports in place: one reconnect that keeps its port (Linux: by chance) does not end them; three in a row do', async (t) => {
  const check = new FreshPortCheck();
  t.equal(check.observe(40000, 40001), true, 'a new port');
  t.equal(check.observe(40001, 40001), false, 'the same port: not fresh, this socket is replaced');
  t.equal(check.observe(40001, 0), false, 'a reconnect that failed: not fresh');
  t.equal(check.trusted, true, 'but two in a row are still chance');
  t.equal(check.observe(40001, 51234), true);
  t.equal(check.observe(51234, 51234), false);
  t.equal(check.observe(51234, 51234), false);
  t.equal(check.trusted, true, 'a fresh port started the count again');
  t.equal(check.observe(51234, 51234), false);
  t.equal(check.trusted, false, 'three in a row: this kernel keeps ports, open new sockets');
});

t.test('pending queries by ID: an array for the few a socket holds, a Map past 16, the array again once drained', async (t) => {
  const pending = new PendingQueries<{ id: number }>();
  const entries = Array.from({ length: 40 }, (_, i) => ({ id: (i * 7919) & 0xffff }));
  for (const e of entries.slice(0, 3)) pending.add(e);
  t.equal(pending.size, 3);
  t.equal(pending.get(entries[1]!.id), entries[1]);
  t.equal(pending.has(entries[5]!.id), false);
  pending.delete(entries[0]!);
  t.same(pending.snapshot().map((e) => e.id).sort(), [entries[1]!.id, entries[2]!.id].sort(), 'the rest, after a delete from the front');
  const stranger = { id: entries[1]!.id };
  pending.delete(stranger);
  t.equal(pending.get(entries[1]!.id), entries[1], 'deleting another entry with the same ID removes nothing');
  for (const e of entries.slice(3)) pending.add(e);
  t.equal(pending.size, 39, 'past 16, in a Map');
  t.ok(entries.slice(1).every((e) => pending.get(e.id) === e), 'every one found');
  pending.delete(stranger);
  t.equal(pending.size, 39, 'in the Map too, only the entry itself is removed');
  for (const e of pending.snapshot()) pending.delete(e);
  t.equal(pending.size, 0, 'a snapshot can be settled while it is gone through');
  pending.add(entries[0]!);
  t.same(pending.snapshot(), [entries[0]], 'and it starts again');
});
