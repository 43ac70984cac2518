import type { Message, ResourceRecord } from '../dns/index.ts';
import type { EncodedQuestion } from './question.ts';

/** Orders kept per question: all 3! of BIND's shuffled 3-record answers, all 4! of Herald's (it serves at most 24). */
const IMAGES_PER_QUESTION = 24;
/** Images kept per nameserver, all questions together; past it they are dropped and collected again. */
const IMAGES_PER_NAMESERVER = 512;
/** Larger replies are decoded every time: they are rare, and an image keeps the datagram alive. */
const MAX_IMAGE_BYTES = 1232;

interface Image {
  /** The validated reply datagram as it came (never handed out, never written). */
  bytes: Uint8Array;
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
    const n = reply.length;
    for (let k = 0; k < images.length; k++) {
      const image = images[k]!;
      const bytes = image.bytes;
      if (bytes.length !== n) continue;
      let i = 2;
      while (i < n && bytes[i] === reply[i]) i++;
      if (i === n) return withId(image.message, (reply[0]! << 8) | reply[1]!);
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
    const image = { bytes: reply, message };
    if (images.length < IMAGES_PER_QUESTION) { images.push(image); this.#count++; return; }
    // Full: the oldest order goes (it is the likeliest to belong to an answer that has changed since).
    images.shift();
    images.push(image);
  }
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
