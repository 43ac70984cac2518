import t from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import * as async from '../../tools/sea-shims/async.ts';
import * as underscore from '../../tools/sea-shims/underscore.ts';

// The single executable replaces node-zookeeper-client's async and
// underscore by the few functions it calls (tools/sea-shims). Each is run
// here beside the library it stands for, on the same inputs, and the
// client's sources are read for anything else it might call.

// The libraries themselves, as node-zookeeper-client gets them (no types of their own).
const require = createRequire(import.meta.url);
const realAsync = require('async') as typeof async;
const realUnderscore = require('underscore') as typeof underscore;
const CLIENT = join(import.meta.dirname, '../../node_modules/node-zookeeper-client');

async function clientSources(dir = CLIENT): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await clientSources(path));
    else if (entry.name.endsWith('.js')) out.push(await readFile(path, 'utf8'));
  }
  return out;
}

t.test('node-zookeeper-client calls nothing of async or underscore that the shims lack', async (t) => {
  const called = { async: new Set<string>(), underscore: new Set<string>() };
  for (const source of await clientSources()) {
    for (const [lib, shim] of [['async', 'async'], ['underscore', 'underscore']] as const) {
      for (const m of source.matchAll(new RegExp(`var\\s+(\\w+)\\s*=\\s*require\\('${lib}'\\)`, 'g'))) {
        for (const use of source.matchAll(new RegExp(`\\b${m[1]}\\.(\\w+)`, 'g'))) called[shim].add(use[1]!);
      }
    }
  }
  t.same([...called.async].sort(), ['eachSeries', 'reduce', 'whilst']);
  t.same([...called.underscore].sort(), ['clone', 'defaults', 'shuffle']);
  for (const name of called.async) t.type((async as Record<string, unknown>)[name], 'function', `async.${name}`);
  for (const name of called.underscore) t.type((underscore as Record<string, unknown>)[name], 'function', `underscore.${name}`);
});

type Lib = typeof async;
const libs: [string, Lib][] = [['async', realAsync], ['shim', async]];
const later = (f: () => void) => setImmediate(f);

/** What `run` reports through its callback, for the library and for the shim. */
async function both<R>(run: (lib: Lib, done: (result: R) => void) => void): Promise<R[]> {
  return Promise.all(libs.map(([, lib]) => new Promise<R>((resolve) => run(lib, resolve))));
}

t.test('whilst: retries as the client does, passing on the last results and errors', async (t) => {
  const attempts = (failUntil: number) => both<unknown[]>((lib, done) => {
    let count = 0;
    let retry = true;
    const seen: unknown[] = [];
    lib.whilst((next) => next(null, count <= 3 && retry), (next) => {
      const attempt = count++;
      later(() => { retry = attempt < failUntil; seen.push(attempt); next(null, `result ${attempt}`); });
    }, (err, ...results) => done([err, results, seen]));
  });
  const [a, b] = await attempts(2);
  t.same(b, a);
  t.same(a, [null, ['result 2'], [0, 1, 2]]);
  const [c, d] = await attempts(10);
  t.same(d, c);
  const failing = await both<unknown[]>((lib, done) => {
    let n = 0;
    lib.whilst((next) => next(null, true), (next) => later(() => next(++n === 2 ? new Error('boom') : null)), (err) => done([(err as Error).message, n]));
  });
  t.same(failing[1], failing[0]);
  const testFails = await both<unknown>((lib, done) => lib.whilst((next) => next(new Error('test')), (next) => next(), (err) => done((err as Error).message)));
  t.same(testFails, ['test', 'test']);
});

t.test('eachSeries: in order, one at a time, stopped by the first error', async (t) => {
  const items = [1, 2, 3, 4, 5];
  const order = await both<unknown[]>((lib, done) => {
    const seen: number[] = [];
    let running = 0;
    let most = 0;
    lib.eachSeries(items, (item, next) => {
      running++; most = Math.max(most, running); seen.push(item);
      later(() => { running--; next(); });
    }, (err) => done([err, seen, most]));
  });
  t.same(order[1], order[0]);
  t.same(order[0], [null, items, 1]);
  const stopped = await both<unknown[]>((lib, done) => {
    const seen: number[] = [];
    lib.eachSeries(items, (item, next) => { seen.push(item); later(() => next(item === 3 ? new Error('three') : null)); }, (err) => done([(err as Error).message, seen]));
  });
  t.same(stopped[1], stopped[0]);
  t.same(stopped[0], ['three', [1, 2, 3]]);
  const empty = await both<unknown>((lib, done) => lib.eachSeries([], (_item, next) => next(), (err) => done(err)));
  t.same(empty[1], empty[0]);
  const many = Array.from({ length: 50_000 }, (_, i) => i);
  const sync = await both<unknown[]>((lib, done) => { let sum = 0; lib.eachSeries(many, (i, next) => { sum += i; next(); }, (err) => done([err, sum])); });
  t.same(sync[1], sync[0], 'callbacks made at once do not grow the stack');
  const grown = await both<unknown>((lib, done) => { const list = [1, 2]; const seen: number[] = []; lib.eachSeries(list, (i, next) => { seen.push(i); list.push(i + 10); later(next); }, () => done(seen)); });
  t.same(grown[1], grown[0], 'items added on the way are not visited');
});

t.test("reduce: folds in turn, as the client's listSubTreeBFS grows its own memo", async (t) => {
  const sum = await both<unknown[]>((lib, done) => lib.reduce([1, 2, 3], 10, (memo, item, next) => later(() => next(null, memo + item)), (err, memo) => done([err, memo])));
  t.same(sum[1], sum[0]);
  t.same(sum[0], [null, 16]);
  const tree = await both<unknown[]>((lib, done) => {
    const nodes: string[] = ['/a'];
    lib.reduce(nodes, nodes, (memo, item, next) => later(() => { if (item.length < 6) memo.push(`${item}/b`, `${item}/c`); next(null, memo); }), (err, memo) => done([err, memo]));
  });
  t.same(tree[1], tree[0]);
  const failed = await both<unknown[]>((lib, done) => lib.reduce([1, 2, 3], 0, (memo, item, next) => later(() => next(item === 2 ? new Error('two') : null, memo + item)), (err, memo) => done([(err as Error).message, memo])));
  t.same(failed[1], failed[0]);
});

t.test('underscore: clone, defaults and shuffle as the client uses them', async (t) => {
  const options = { sessionTimeout: 5000, retries: undefined };
  const DEFAULTS = { sessionTimeout: 30000, spinDelay: 1000, retries: 0 };
  t.same(underscore.defaults(underscore.clone(options), DEFAULTS), realUnderscore.defaults(realUnderscore.clone(options), DEFAULTS));
  t.not(underscore.clone(options), options, 'a copy');
  const inherited = Object.create({ fromProto: 1 }) as Record<string, number>;
  inherited['own'] = 2;
  t.same(underscore.clone(inherited), realUnderscore.clone(inherited), 'inherited keys copied as underscore does');
  t.same(underscore.clone([1, 2]), [1, 2]);
  t.equal(underscore.clone(7), 7);
  const servers = ['a', 'b', 'c', 'd'];
  const orders = new Set<string>();
  let notPermutations = 0;
  for (let i = 0; i < 2000; i++) {
    const out = underscore.shuffle(servers);
    if ([...out].sort().join('') !== 'abcd') notPermutations++;
    orders.add(out.join(''));
  }
  t.equal(notPermutations, 0, 'each a permutation');
  t.equal(orders.size, 24, 'every order of four servers comes up');
  t.same(servers, ['a', 'b', 'c', 'd'], 'the list itself is left alone');
});
