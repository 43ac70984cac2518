import { Buffer } from 'node:buffer';
import { decodeMessage, type Message, type ResourceRecord } from '../dns/index.ts';
import type { EncodedQuestion } from './question.ts';

/** Orders kept per question: all 3! of BIND's shuffled 3-record answers, all 4! of Herald's (it serves at most 24). */
const IMAGES_PER_QUESTION = 24;
/** Images kept per client, all nameservers and questions together; past it they are all dropped and collected again. */
const IMAGES_PER_CLIENT = 512;
/** Larger replies are decoded every time: they are rare, and an image keeps the datagram alive. */
const MAX_IMAGE_BYTES = 1232;
/**
 * A question's images are judged every this many replies: with fewer than
 * MIN_HITS matches of an image already decoded (a miss costs about a third
 * of what such a match saves, so a quarter is where they break even; an
 * image's first match saves nothing, it decodes the image again) they are
 * dropped, and its next RESTING replies are decoded without looking, as
 * before images.
 */
const WINDOW = 64;
const MIN_HITS = 16;
const RESTING = 1024;

/** Byte positions at most kept per question to tell its images apart (BIND's 6 orders of 3 SRV records need 2). */
const MAX_PROBES = 8;

/** A question's images, and how well they serve it lately. */
interface Entry {
  images: Image[];
  /**
   * Positions (after the ID) at which some of its images differ: a reply's
   * bytes there, with its length, are its `signature`, and only an image of
   * the same signature is compared in full. Orders of a shuffled answer
   * often differ in a few bytes only (a target's first label), which a hash
   * of a sample would miss; a hash of every byte cost more than the compare.
   */
  probes: number[];
  /** Replies looked for in the current window, and how many matched an image already decoded. */
  tries: number;
  hits: number;
  /** Replies still to decode without looking. */
  resting: number;
}

interface Image {
  /**
   * A copy of the validated reply datagram, its own (never handed out); its
   * first two bytes (the ID) are overwritten with those of each datagram it
   * is compared with, so that one native compare covers the rest.
   */
  bytes: Buffer;
  /** `signature` of `bytes` at the entry's probes. */
  signature: number;
  /**
   * The shared decoding, sections frozen, made when the image is first seen
   * again; each reuse takes a copy with the reply's own ID.
   */
  message: Message | undefined;
}

/**
 * The replies each nameserver sent lately, byte for byte: a resolver asks the
 * same names again and again, and the answer rarely changes, so a reply
 * identical after its ID to one already decoded and checked for the same
 * question is not decoded or checked again. Only what the bytes decide is
 * reused — the records, the question and the owner-name checks of a
 * question's reply; what depends on the query (ID, source) is checked for
 * every datagram before it comes here. Servers shuffle the order of records,
 * so each question keeps several images (one per order seen), bounded; where
 * they match too few of its replies (an answer shuffled more ways than it
 * keeps), its replies are decoded for a while without looking.
 *
 * Callers must not share records one of them could change: the reply that
 * makes an image is its caller's own (decoded for it, never kept); the
 * first datagram that matches an image is decoded once more, for the image,
 * and that decoding, frozen, is what every later match gets. So a reply
 * seen once costs no more than a copy of its bytes — with many orders (BIND
 * shuffles 5 records 120 ways) most are — and freezing, which costs about a
 * third of a decoding, is paid once per image, not per reply.
 */
export class ReplyImages {
  /** Entries by nameserver (`ip:port`), then question. */
  readonly #byNameserver = new Map<string, Map<EncodedQuestion, Entry>>();
  #count = 0;

  /**
   * The message of a reply from `ns` to `q` whose bytes after the ID are
   * `reply`'s, with `reply`'s ID; undefined when none is known. A match
   * proves everything `reply`'s bytes decide: it echoes `q` (the image did,
   * byte for byte), it is no TC reply, and its records pass the owner checks.
   */
  find(ns: string, q: EncodedQuestion, reply: Uint8Array): Message | undefined {
    const entry = this.#byNameserver.get(ns)?.get(q);
    if (entry === undefined) return undefined;
    if (entry.resting > 0) { entry.resting--; return undefined; }
    const images = entry.images;
    const signature = signatureOf(reply, entry.probes);
    let found: Message | undefined;
    for (let k = 0; k < images.length; k++) {
      const image = images[k]!;
      if (image.signature !== signature) continue;
      const bytes = image.bytes;
      bytes[0] = reply[0]!;
      bytes[1] = reply[1]!;
      if (!bytes.equals(reply)) continue;
      // Only a match of a decoding already made saves work: the first match of an image decodes it once more.
      if (image.message !== undefined) entry.hits++;
      // The bytes decoded and passed every check before, so they decode again; the copy is the image's own.
      image.message ??= frozen(decodeMessage(bytes));
      found = withId(image.message, (reply[0]! << 8) | reply[1]!);
      break;
    }
    if (++entry.tries === WINDOW) this.#judge(entry);
    return found;
  }

  /** The end of a window: images that matched too few replies go, and the question rests. */
  #judge(entry: Entry): void {
    if (entry.hits < MIN_HITS) {
      this.#count -= entry.images.length;
      entry.images = [];
      entry.probes = [];
      entry.resting = RESTING;
    }
    entry.tries = entry.hits = 0;
  }

  /**
   * Keeps a copy of `reply`, a datagram that passed every check as an
   * answer to `q` (`message` is its decoding, which stays its caller's).
   * Replies with records held as raw bytes (types Herald does not
   * interpret) are not kept: a byte array cannot be frozen.
   */
  remember(ns: string, q: EncodedQuestion, reply: Uint8Array, message: Message): void {
    let questions = this.#byNameserver.get(ns);
    let entry = questions?.get(q);
    if (entry?.resting || reply.length > MAX_IMAGE_BYTES || !freezable(message)) return;
    if ((entry === undefined || entry.images.length < IMAGES_PER_QUESTION) && this.#count >= IMAGES_PER_CLIENT) {
      // One more image would pass the bound: start again (a steady resolver's few questions fill up again at once).
      this.#byNameserver.clear();
      this.#count = 0;
      questions = entry = undefined;
    }
    if (questions === undefined) { questions = new Map(); this.#byNameserver.set(ns, questions); }
    if (entry === undefined) { entry = { images: [], probes: [], tries: 0, hits: 0, resting: 0 }; questions.set(q, entry); }
    const bytes = Buffer.allocUnsafeSlow(reply.length);
    bytes.set(reply);
    const image: Image = { bytes, signature: 0, message: undefined };
    const images = entry.images;
    if (images.length < IMAGES_PER_QUESTION) this.#count++;
    else images.shift(); // full: the oldest order goes (it is the likeliest to belong to an answer that has changed since)
    images.push(image);
    probeApart(entry, image);
  }
}

/** A hash of `b`'s length and its bytes at `probes` (0 past its end). */
function signatureOf(b: Uint8Array, probes: readonly number[]): number {
  const n = b.length;
  let h = Math.imul(n, 0x9e3779b1);
  for (let i = 0; i < probes.length; i++) {
    const p = probes[i]!;
    h = Math.imul(h ^ (p < n ? b[p]! : 0), 0x01000193);
  }
  return h;
}

/**
 * Adds probes (up to MAX_PROBES) until `image`'s signature differs from
 * every other image's of the entry: each probe is the first position after
 * the ID where `image` and one it collides with differ. Past the limit,
 * images share signatures and are told apart by the full compare.
 */
function probeApart(entry: Entry, image: Image): void {
  const images = entry.images;
  const probes = entry.probes;
  for (;;) {
    image.signature = signatureOf(image.bytes, probes);
    const other = images.find((o) => o !== image && o.signature === image.signature);
    if (other === undefined || probes.length === MAX_PROBES) return;
    const at = firstDifference(image.bytes, other.bytes);
    if (at < 0 || probes.includes(at)) return; // identical after the ID (or a hash collision): nothing a probe could tell
    probes.push(at);
    for (const o of images) o.signature = signatureOf(o.bytes, probes);
  }
}

/** The first position after the ID where `a` and `b` differ (their common length if one is the other's start), or -1 when equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 2; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** `m` with another ID; the same (frozen) sections. Written out, so that every message has the decoder's shape. */
function withId(m: Message, id: number): Message {
  const out: Message = {
    id, qr: m.qr, opcode: m.opcode, aa: m.aa, tc: m.tc, rd: m.rd, ra: m.ra, ad: m.ad, cd: m.cd, rcode: m.rcode,
    questions: m.questions, answers: m.answers, authorities: m.authorities, additionals: m.additionals,
  };
  if (m.edns !== undefined) out.edns = m.edns;
  return out;
}

/** Whether every record of `m` can be frozen (none holds a byte array). */
function freezable(m: Message): boolean {
  return plainRecords(m.answers) && plainRecords(m.authorities) && plainRecords(m.additionals);
}

function plainRecords(records: readonly ResourceRecord[]): boolean {
  for (let i = 0; i < records.length; i++) if ('data' in records[i]!) return false;
  return true;
}

/** `m` with its sections, their records and EDNS frozen (`m` itself is copied per use by `withId`). */
function frozen(m: Message): Message {
  for (const q of m.questions) Object.freeze(q);
  Object.freeze(m.questions);
  freezeRecords(m.answers);
  freezeRecords(m.authorities);
  freezeRecords(m.additionals);
  if (m.edns !== undefined) Object.freeze(m.edns);
  return m;
}

function freezeRecords(records: ResourceRecord[]): void {
  for (const r of records) {
    if ('texts' in r) Object.freeze(r.texts);
    Object.freeze(r);
  }
  Object.freeze(records);
}
