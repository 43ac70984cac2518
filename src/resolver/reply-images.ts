import type { Message, ResourceRecord } from '../dns/index.ts';
import type { EncodedQuestion } from './question.ts';

/** Orders kept per question: all 3! of BIND's shuffled 3-record answers, all 4! of Herald's (it serves at most 24). */
const IMAGES_PER_QUESTION = 24;
/** Images kept per nameserver, all questions together; past it they are dropped and collected again. */
const IMAGES_PER_NAMESERVER = 512;
/** Larger replies are decoded every time: they are rare, and an image keeps the datagram alive. */
const MAX_IMAGE_BYTES = 1232;

interface Image {
  /** The validated reply datagram as it came (never handed out, never written), at a 4-byte-aligned offset. */
  bytes: Uint8Array;
  /** `bytes` as 32-bit words, compared a word at a time (a byte loop cost 3× as much). */
  words: Int32Array;
  /** `bytesHash` of `bytes`: images whose hash differs are passed over without a compare. */
  hash: number;
  /** Its decoded message, sections frozen; `id` is that reply's, so each reuse takes a copy with its own. */
  message: Message;
}

/**
 * The replies a nameserver sent lately, byte for byte, with their decoded and
 * validated messages: a resolver asks the same names again and again, and
 * the answer rarely changes, so a reply identical after its ID to one
 * already decoded for the same question is not decoded or checked again.
 * Only what the bytes decide is reused — the records and the owner-name
 * checks of a question's reply; what depends on the query (ID, source,
 * question) is checked for every datagram before it comes here. Servers
 * shuffle the order of records, so each question keeps several images (one
 * per order seen), bounded. The sections of a reused message are shared by
 * every caller who gets that reply: they are frozen.
 */
export class ReplyImages {
  readonly #byQuestion = new Map<EncodedQuestion, Image[]>();
  #count = 0;

  /** The message of a reply to `q` whose bytes after the ID are `reply`'s, with `reply`'s ID; undefined when none is known. */
  find(q: EncodedQuestion, reply: Uint8Array): Message | undefined {
    const images = this.#byQuestion.get(q);
    if (images === undefined) return undefined;
    const bytes = aligned(reply);
    const words = wordsOf(bytes);
    const hash = bytesHash(bytes, words);
    for (let k = 0; k < images.length; k++) {
      const image = images[k]!;
      if (image.hash === hash && sameBytes(image, bytes, words)) return withId(image.message, (reply[0]! << 8) | reply[1]!);
    }
    return undefined;
  }

  /**
   * Keeps `reply`, a datagram that passed every check as an answer to `q`,
   * and `message`, its decoding, whose sections this freezes (whether or
   * not it is kept, so that every reply's records behave alike). Records
   * holding raw bytes (types Herald does not interpret) are not kept: a
   * byte array cannot be frozen.
   */
  remember(q: EncodedQuestion, reply: Uint8Array, message: Message): void {
    const plain = freezeSections(message);
    if (!plain || reply.length > MAX_IMAGE_BYTES) return;
    let images = this.#byQuestion.get(q);
    if (images === undefined) {
      if (this.#count >= IMAGES_PER_NAMESERVER) { this.#byQuestion.clear(); this.#count = 0; }
      images = [];
      this.#byQuestion.set(q, images);
    }
    const bytes = aligned(reply);
    const words = wordsOf(bytes);
    const image: Image = { bytes, words, hash: bytesHash(bytes, words), message };
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

/** Freezes `m`'s sections, their records and EDNS; false when a record holds raw bytes (left as they are). */
export function freezeSections(m: Message): boolean {
  let plain = true;
  for (const q of m.questions) Object.freeze(q);
  Object.freeze(m.questions);
  if (!freezeRecords(m.answers)) plain = false;
  if (!freezeRecords(m.authorities)) plain = false;
  if (!freezeRecords(m.additionals)) plain = false;
  if (m.edns !== undefined) Object.freeze(m.edns);
  return plain;
}

function freezeRecords(records: ResourceRecord[]): boolean {
  let plain = true;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if ('data' in r) plain = false;
    else if ('texts' in r) Object.freeze(r.texts);
    Object.freeze(r);
  }
  Object.freeze(records);
  return plain;
}
