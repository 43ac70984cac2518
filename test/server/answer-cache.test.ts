import t from 'tap';
import { encodeQuery, RecordType } from '../../src/dns/index.ts';
import { AnswerCache } from '../../src/server/answer-cache.ts';
import { nameHash, readQuery, wireNameHash, type QueryView } from '../../src/server/query.ts';
import type { WireAnswer } from '../../src/server/response.ts';

const D = 'coal.joyent.us';
const query = (name: string, type: number = RecordType.A) => {
  const msg = encodeQuery({ id: 1, name, type });
  const view = readQuery(msg) as QueryView;
  return { msg, view };
};
const wire = (tag: number): WireAnswer => ({ rcode: 0, variants: [Buffer.from([tag])], truncated: Buffer.from([tag]) });
const put = (cache: AnswerCache, name: string, type: number, answer: WireAnswer, hash?: number) => {
  const { msg, view } = query(name, type);
  cache.set(msg, 12, view.nameEnd, hash ?? view.nameHash, type, name.toLowerCase(), answer);
};
const get = (cache: AnswerCache, name: string, type: number = RecordType.A, hash?: number) => {
  const { msg, view } = query(name, type);
  return cache.get(msg, 12, view.nameEnd, hash ?? view.nameHash, type);
};

t.test('the name hash: case-insensitive, the same from the wire as from the text', async (t) => {
  for (const name of [`moray.${D}`, `_moray._tcp.moray.${D}`, 'a', '']) {
    const { view } = query(name);
    t.equal(view.nameHash, nameHash(name), name);
    t.equal(view.nameHash, nameHash(name.toUpperCase() + (name ? '.' : '')), `${name} upper-cased, trailing dot`);
    t.ok(Number.isInteger(view.nameHash) && view.nameHash >= 0 && view.nameHash < 2 ** 30, 'a small integer');
  }
  const { msg, view } = query(`A.Moray.${D}`);
  t.equal(wireNameHash(msg, 12, view.nameEnd), query(`a.moray.${D}`).view.nameHash);
  t.not(query(`a.moray.${D}`).view.nameHash, query(`b.moray.${D}`).view.nameHash);
});

t.test('hits ignore case, are per qtype, and a hash collision is a miss, never another name\'s answer', async (t) => {
  const cache = new AnswerCache(100);
  const a = wire(1), srv = wire(2);
  put(cache, `a.moray.${D}`, RecordType.A, a);
  put(cache, `a.moray.${D}`, RecordType.SRV, srv);
  t.equal(get(cache, `A.MORAY.${D}`), a);
  t.equal(get(cache, `a.moray.${D}`, RecordType.SRV), srv);
  t.equal(get(cache, `a.moray.${D}`, RecordType.AAAA), undefined);
  const { msg } = query('a.moray.coal.joyent.us');
  t.equal(msg.toString('latin1', 13, 14), 'a', 'the query is not lower-cased in place');
  // b's name under a's hash: the bucket holds a's entries only, and b's bytes do not match them.
  const collide = query(`a.moray.${D}`).view.nameHash;
  t.equal(get(cache, `b.moray.${D}`, RecordType.A, collide), undefined);
  const b = wire(3);
  put(cache, `b.moray.${D}`, RecordType.A, b, collide);
  t.equal(get(cache, `b.moray.${D}`, RecordType.A, collide), b);
  t.equal(get(cache, `a.moray.${D}`), a, 'both names live in one bucket');
  t.equal(cache.size, 3);
});

t.test('invalidate drops a name\'s answers of every qtype and nothing else; a full cache starts over', async (t) => {
  const cache = new AnswerCache(4);
  put(cache, `a.moray.${D}`, RecordType.A, wire(1));
  put(cache, `a.moray.${D}`, RecordType.SRV, wire(2));
  put(cache, `b.moray.${D}`, RecordType.A, wire(3));
  cache.invalidate([`A.moray.${D}.`, `nothere.${D}`]);
  t.equal(cache.size, 1);
  t.equal(get(cache, `a.moray.${D}`), undefined);
  t.equal(get(cache, `a.moray.${D}`, RecordType.SRV), undefined);
  t.ok(get(cache, `b.moray.${D}`));
  for (let i = 0; i < 3; i++) put(cache, `i${i}.${D}`, RecordType.A, wire(i));
  t.equal(cache.size, 4);
  put(cache, `i9.${D}`, RecordType.A, wire(9));
  t.equal(cache.size, 1, 'the fifth entry started it over');
  t.equal(get(cache, `b.moray.${D}`), undefined);
  cache.clear();
  t.equal(cache.size, 0);
});
