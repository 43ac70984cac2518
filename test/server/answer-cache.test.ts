import t from 'tap';
import { encodeQuery, RecordType } from '../../src/dns/index.ts';
import { AnswerCache } from '../../src/server/answer-cache.ts';
import { answerSubject } from '../../src/server/answer-subject.ts';
import { nameHash, readQuery, type QueryView } from '../../src/server/query.ts';
import type { WireAnswer } from '../../src/server/response.ts';

const D = 'coal.joyent.us';
const query = (name: string, type: number = RecordType.A) => {
  const msg = encodeQuery({ id: 1, name, type });
  return { msg, view: readQuery(msg) as QueryView };
};
/** A stand-in reply: the lower-cased question of `name` as the reply carries it, `tag` in byte 0. */
const reply = (name: string, tag: number): WireAnswer => {
  const bytes = encodeQuery({ id: tag, name: name.toLowerCase(), type: RecordType.A });
  return { rcode: 0, length: bytes.length, variants: [bytes], truncated: bytes };
};
const put = (cache: AnswerCache, name: string, type: number, answer: WireAnswer, hash?: number) => {
  const { view } = query(name, type);
  cache.set(hash ?? view.nameHash, type, view.nameEnd - 12, answer, answerSubject(type, name.toLowerCase()));
};
const get = (cache: AnswerCache, name: string, type: number = RecordType.A, hash?: number) => {
  const { view } = query(name, type);
  return cache.get(view.words, view.nameEnd - 12, hash ?? view.nameHash, type);
};

t.test('the name hash: case-insensitive, the same off the wire as from the text', async (t) => {
  for (const name of [`moray.${D}`, `_moray._tcp.moray.${D}`, 'a', '']) {
    const { view } = query(name);
    t.equal(view.nameHash, nameHash(name), name);
    t.equal(view.nameHash, nameHash(name.toUpperCase() + (name ? '.' : '')), `${name} upper-cased, trailing dot`);
    t.ok(Number.isInteger(view.nameHash) && view.nameHash >= 0 && view.nameHash < 2 ** 30, 'a small integer');
    t.equal(view.mixedCase, false);
  }
  const mixed = query(`A.Moray.${D}`).view;
  t.equal(mixed.nameHash, query(`a.moray.${D}`).view.nameHash);
  t.equal(mixed.mixedCase, true);
  t.not(query(`a.moray.${D}`).view.nameHash, query(`b.moray.${D}`).view.nameHash);
});

t.test('hits ignore case, are per qtype, and a hash collision is a miss, never another name\'s answer', async (t) => {
  const cache = new AnswerCache(100);
  const a = reply(`a.moray.${D}`, 1), srv = reply(`a.moray.${D}`, 2);
  put(cache, `a.moray.${D}`, RecordType.A, a);
  put(cache, `a.moray.${D}`, RecordType.SRV, srv);
  t.equal(get(cache, `A.MORAY.${D}`), a);
  t.equal(get(cache, `a.moray.${D}`, RecordType.SRV), srv);
  t.equal(get(cache, `a.moray.${D}`, RecordType.AAAA), undefined);
  // b's name under a's hash: the bucket holds a's entries only, and b's bytes do not match them.
  const collide = query(`a.moray.${D}`).view.nameHash;
  t.equal(get(cache, `b.moray.${D}`, RecordType.A, collide), undefined);
  const b = reply(`b.moray.${D}`, 3);
  put(cache, `b.moray.${D}`, RecordType.A, b, collide);
  t.equal(get(cache, `b.moray.${D}`, RecordType.A, collide), b);
  t.equal(get(cache, `a.moray.${D}`), a, 'both names live in one bucket');
  t.equal(cache.size, 3);
});

t.test('a query matches the question its cached reply carries, not merely the name it was stored under', async (t) => {
  const cache = new AnswerCache(100);
  // Stored for a's hash and length, but the reply carries b's question: a query for a must not get it.
  put(cache, `a.moray.${D}`, RecordType.A, reply(`b.moray.${D}`, 1));
  t.equal(get(cache, `a.moray.${D}`), undefined);
});

t.test('dropSubjects drops the replies filed under a subject, every qtype, and nothing else, not even a colliding name; a full cache starts over', async (t) => {
  const cache = new AnswerCache(4);
  put(cache, `a.moray.${D}`, RecordType.A, reply(`a.moray.${D}`, 1));
  put(cache, `_http._tcp.a.moray.${D}`, RecordType.SRV, reply(`_http._tcp.a.moray.${D}`, 2));
  const collide = 12345;
  put(cache, `b.moray.${D}`, RecordType.A, reply(`b.moray.${D}`, 3), collide);
  put(cache, `c.moray.${D}`, RecordType.A, reply(`c.moray.${D}`, 4), collide);
  cache.dropSubjects([`a.moray.${D}`, `c.moray.${D}`, `nothere.${D}`]);
  t.equal(cache.size, 1);
  t.equal(get(cache, `a.moray.${D}`), undefined);
  t.equal(get(cache, `_http._tcp.a.moray.${D}`, RecordType.SRV), undefined);
  t.equal(get(cache, `c.moray.${D}`, RecordType.A, collide), undefined);
  t.ok(get(cache, `b.moray.${D}`, RecordType.A, collide), 'the other name in the same bucket stays');
  cache.clear();
  put(cache, `b.moray.${D}`, RecordType.A, reply(`b.moray.${D}`, 3));
  for (let i = 0; i < 3; i++) put(cache, `i${i}.${D}`, RecordType.A, reply(`i${i}.${D}`, i));
  t.equal(cache.size, 4);
  put(cache, `i9.${D}`, RecordType.A, reply(`i9.${D}`, 9));
  t.equal(cache.size, 1, 'the fifth entry started it over');
  t.equal(get(cache, `b.moray.${D}`), undefined);
  cache.clear();
  t.equal(cache.size, 0);
});

t.test('the name hash folds exactly the ASCII upper-case letters, in every position of the words it is taken in', async (t) => {
  // readQuery hashes four bytes at a time: each byte value in each of the four lanes, beside neighbours of every kind.
  let unfolded = 0, mismarked = 0, folded = 0;
  for (let v = 1; v < 256; v++) {
    for (let lane = 0; lane < 4; lane++) {
      for (const neighbour of [0x61, 0x41, 0x5a, 0x7f, 0x80, 0xc1, 0xda, 0xff]) {
        const label = Buffer.alloc(4, neighbour);
        label[lane] = v;
        const upper = (b: number) => b >= 0x41 && b <= 0x5a;
        const msg = Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4]), label, Buffer.from([0, 0, 1, 0, 1])]);
        const view = readQuery(msg) as QueryView;
        if (view.mixedCase !== [...label].some(upper)) mismarked++;
        const lower = Buffer.from(msg);
        for (let i = 13; i < 17; i++) if (upper(lower[i]!)) lower[i]! |= 0x20;
        if ((readQuery(lower) as QueryView).nameHash !== view.nameHash) unfolded++;
        // A byte that is not a letter keeps its 0x20 bit: flipping it is another name (and, bar a rare collision, another hash).
        if (!upper(v) && !upper(v ^ 0x20)) {
          const other = Buffer.from(msg);
          other[13 + lane] = v ^ 0x20;
          if (other[13 + lane] !== 0 && (readQuery(other) as QueryView).nameHash === view.nameHash) folded++;
        }
      }
    }
  }
  t.equal(mismarked, 0, 'mixedCase is set exactly when a letter is upper case');
  t.equal(unfolded, 0, 'an upper-case letter hashes as its lower case');
  t.ok(folded < 10, `non-letters are not folded (${folded} collisions)`);
});

t.test('dropping the first, a middle or the last entry of one hash keeps the others', async (t) => {
  const collide = 777;
  for (const dropped of ['x', 'y', 'z']) {
    const cache = new AnswerCache(100);
    for (const [i, n] of ['x', 'y', 'z'].entries()) put(cache, `${n}.moray.${D}`, RecordType.A, reply(`${n}.moray.${D}`, i), collide);
    cache.dropSubjects([`${dropped}.moray.${D}`]);
    t.equal(cache.size, 2);
    for (const n of ['x', 'y', 'z']) t.equal(get(cache, `${n}.moray.${D}`, RecordType.A, collide) !== undefined, n !== dropped, `dropping ${dropped}: ${n}`);
  }
});

t.test('hits are counted on their entries and added to the counters, by qtype and rcode, when counted — dropped entries too', async (t) => {
  const counts = { qtypes: new Array<number>(256).fill(0), rcodes: new Array<number>(16).fill(0), cacheHits: 0 };
  const cache = new AnswerCache(100, counts);
  put(cache, `a.moray.${D}`, RecordType.A, reply(`a.moray.${D}`, 1));
  put(cache, `_x._tcp.moray.${D}`, RecordType.SRV, { ...reply(`_x._tcp.moray.${D}`, 2), rcode: 3 });
  for (let i = 0; i < 3; i++) get(cache, `a.moray.${D}`);
  get(cache, `A.MORAY.${D}`);
  get(cache, `_x._tcp.moray.${D}`, RecordType.SRV);
  get(cache, `b.moray.${D}`);
  t.equal(counts.cacheHits, 0, 'not until counted');
  cache.dropSubjects([`a.moray.${D}`]);
  cache.countHits();
  t.equal(counts.cacheHits, 5, 'every hit, the dropped entry\'s included; a miss is no hit');
  t.equal(counts.qtypes[RecordType.A], 4);
  t.equal(counts.qtypes[RecordType.SRV], 1);
  t.equal(counts.rcodes[0], 4);
  t.equal(counts.rcodes[3], 1);
  cache.countHits();
  t.equal(counts.cacheHits, 5, 'each hit once');
  // Past MAX_PENDING entries with hits, the cache adds them itself (bounded memory when nobody reads the counters).
  const many = new AnswerCache(5000, counts);
  for (let i = 0; i < 1100; i++) put(many, `i${i}.${D}`, RecordType.A, reply(`i${i}.${D}`, 1));
  for (let i = 0; i < 1100; i++) get(many, `i${i}.${D}`);
  t.ok(counts.cacheHits >= 5 + 1024, `counted without being asked: ${counts.cacheHits}`);
});
