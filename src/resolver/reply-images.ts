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

/** A question's images, and how well they serve it lately. */
interface Entry {
  images: Image[];
  /** Replies looked for in the current window, and how many matched an image already decoded. */
  tries: number;
  hits: number;
  /** Replies still to decode without looking. */
  resting: number;
}

interface Image {
  /** The validated reply datagram as it came (never handed out, never written), at a 4-byte-aligned offset. */
  bytes: Uint8Array;
  /** `bytes` as 32-bit words, compared a word at a time (a byte loop cost 3× as much). */
  words: Int32Array;
  /** `bytesHash` of `bytes`: images whose hash differs are passed over without a compare. */
  hash: number;
  /**
   * The shared decoding, sections frozen, made when the image is first seen
   * again; `id` is that reply's, so each reuse takes a copy with its own.
   */
  message: Message | undefined;
}

/**
 * The replies each nameserver sent lately, byte for byte: a resolver asks the
 * same names again and again, and the answer rarely changes, so a reply
 * identical after its ID to one already decoded and checked for the same
 * question is not decoded or checked again. Only what the bytes decide is
 * reused — the records and the owner-name checks of a question's reply;
 * what depends on the query (ID, source, question) is checked for every
 * datagram before it comes here. Servers shuffle the order of records, so
 * each question keeps several images (one per order seen), bounded; where
 * they match too few of its replies (an answer shuffled more ways than it
 * keeps), its replies are decoded for a while without looking.
 *
 * Callers must not share records one of them could change: the reply that
 * makes an image is its caller's own (decoded for it, never kept); the
 * first datagram that matches an image is decoded once more, for the image,
 * and that decoding, frozen, is what every later match gets. So a reply
 * seen once costs no more than keeping its bytes — with many orders (BIND
 * shuffles 5 records 120 ways) most are — and freezing, which costs about a
 * third of a decoding, is paid once per image, not per reply.
 */
export class ReplyImages {
  /** Entries by nameserver (`ip:port`), then question. */
  readonly #byNameserver = new Map<string, Map<EncodedQuestion, Entry>>();
  #count = 0;
  // The last datagram `find` looked for, as it read it: a miss is remembered next, without reading it again.
  #probe: Uint8Array | undefined;
  #probeBytes: Uint8Array | undefined;
  #probeWords: Int32Array | undefined;
  #probeHash = 0;

  /** The message of a reply from `ns` to `q` whose bytes after the ID are `reply`'s, with `reply`'s ID; undefined when none is known. */
  find(ns: string, q: EncodedQuestion, reply: Uint8Array): Message | undefined {
    const entry = this.#byNameserver.get(ns)?.get(q);
    if (entry === undefined) return undefined;
    if (entry.resting > 0) { entry.resting--; return undefined; }
    const images = entry.images;
    const bytes = aligned(reply);
    const words = wordsOf(bytes);
    const hash = bytesHash(bytes, words);
    this.#probe = reply;
    this.#probeBytes = bytes;
    this.#probeWords = words;
    this.#probeHash = hash;
    let found: Message | undefined;
    for (let k = 0; k < images.length; k++) {
      const image = images[k]!;
      if (image.hash !== hash || !sameBytes(image, bytes, words)) continue;
      // Only a match of a decoding already made saves work: the first match of an image decodes it once more.
      if (image.message !== undefined) entry.hits++;
      // The bytes decoded and passed every check before, so they decode again; the copy is the image's own.
      image.message ??= frozen(decodeMessage(image.bytes));
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
      entry.resting = RESTING;
    }
    entry.tries = entry.hits = 0;
  }

  /**
   * Keeps the bytes of `reply`, a datagram that passed every check as an
   * answer to `q` (`message` is its decoding, which stays its caller's).
   * Replies with records held as raw bytes (types Herald does not
   * interpret) are not kept: a byte array cannot be frozen.
   */
  remember(ns: string, q: EncodedQuestion, reply: Uint8Array, message: Message): void {
    const probed = reply === this.#probe;
    const probeBytes = this.#probeBytes;
    const probeWords = this.#probeWords;
    this.#probe = this.#probeBytes = this.#probeWords = undefined;
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
    if (entry === undefined) { entry = { images: [], tries: 0, hits: 0, resting: 0 }; questions.set(q, entry); }
    const bytes = probed ? probeBytes! : aligned(reply);
    const words = probed ? probeWords! : wordsOf(bytes);
    const image: Image = { bytes, words, hash: probed ? this.#probeHash : bytesHash(bytes, words), message: undefined };
    const images = entry.images;
    if (images.length < IMAGES_PER_QUESTION) { images.push(image); this.#count++; return; }
    // Full: the oldest order goes (it is the likeliest to belong to an answer that has changed since).
    images.shift();
    images.push(image);
  }
}

/** `b`, or a copy of it where its offset in its buffer is not a multiple of 4 (a datagram's is 0: it has a buffer of its own). */
function aligned(b: Uint8Array): Uint8Array {
  return (b.byteOffset & 3) === 0 ? b : new Uint8Array(b);
}

/** The whole 32-bit words of `b` (aligned); the last `length % 4` bytes are left to a byte loop. */
function wordsOf(b: Uint8Array): Int32Array {
  return new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
}

/**
 * A hash of everything after the ID: bytes 2 and 3, words 1 and on, the tail
 * bytes. Word 0 holds the ID, and which half it is depends on the byte
 * order, so its two bytes after the ID are taken one by one.
 */
function bytesHash(b: Uint8Array, words: Int32Array): number {
  let h = Math.imul(b.length, 0x9e3779b1) ^ (b.length > 3 ? (b[2]! << 8) | b[3]! : 0);
  for (let i = 1; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  for (let i = words.length << 2; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h;
}

/** Whether `b` (with its `words`) is the image's bytes after the ID. */
function sameBytes(image: Image, b: Uint8Array, words: Int32Array): boolean {
  const mine = image.bytes;
  const n = b.length;
  if (mine.length !== n || mine[2] !== b[2] || mine[3] !== b[3]) return false;
  const w = image.words;
  for (let i = 1; i < words.length; i++) if (w[i] !== words[i]) return false;
  for (let i = words.length << 2; i < n; i++) if (mine[i] !== b[i]) return false;
  return true;
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
