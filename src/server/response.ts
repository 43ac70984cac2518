// Node 24's global `Buffer` is an accessor: every use through it costs a getter call (~10 ns a reply here).
import { Buffer } from 'node:buffer';
import { MessageWriter, type ResourceRecord, CLASS_IN } from '../dns/index.ts';
import type { Answer } from './answer.ts';
import { assembleOrder, replyBlocks, type ReplyBlocks } from './reply-blocks.ts';

/** A reply in wire form, ready to be patched for each query. */
export interface WireAnswer {
  rcode: number;
  /** The full reply's length, the same in every order: whether a query gets it whole or truncated. */
  length: number;
  /**
   * The full reply with ID 0, rd clear and the question lower-cased; one
   * slot per answer order when shuffled, each encoded when a query first
   * draws it (`finish`). An unshuffled reply's one slot is filled up front.
   */
  variants: (Buffer | undefined)[];
  /** The same reply truncated: TC set, question kept, every other section empty. */
  truncated: Buffer;
  /** Encodes the order of slot `k` (shuffled replies only); dropped once every slot is filled. */
  encodeVariant?: ((k: number) => Buffer) | undefined;
}

/** The UDP payload size Herald advertises and honours at most (binder's limit). */
export const MAX_UDP = 1470;
/** Classic DNS UDP limit without EDNS. */
export const PLAIN_UDP = 512;
/** binder's TCP limit. */
export const MAX_TCP = 65530;
const OPT_LENGTH = 11;
/** Permutations beyond this many answers are sampled. */
const ALL_PERMUTATIONS_UP_TO = 4;
const SAMPLED_PERMUTATIONS = 16;

/** How many orders a shuffled answer of `n` records is served in. */
export function orderCount(n: number): number {
  if (n <= 1) return 1;
  if (n > ALL_PERMUTATIONS_UP_TO) return SAMPLED_PERMUTATIONS;
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/** All orders of `n` items for small n; else a fixed sample of random orders (each starts differently when it can). */
export function orders(n: number): number[][] {
  const identity = Array.from({ length: n }, (_, i) => i);
  if (n <= 1) return [identity];
  if (n <= ALL_PERMUTATIONS_UP_TO) {
    const out: number[][] = [];
    const permute = (prefix: number[], rest: number[]) => {
      if (rest.length === 0) { out.push(prefix); return; }
      rest.forEach((x, i) => permute([...prefix, x], [...rest.slice(0, i), ...rest.slice(i + 1)]));
    };
    permute([], identity);
    return out;
  }
  return Array.from({ length: SAMPLED_PERMUTATIONS }, (_, k) => sampledOrder(n, k));
}

/** The `k`th sampled order of `n` items: a random shuffle rotated so that item `k % n` comes first (the first records take turns at the front). */
function sampledOrder(n: number, k: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const x = order[i]!;
    order[i] = order[j]!;
    order[j] = x;
  }
  const first = order.indexOf(k % n);
  const rotated = new Array<number>(n);
  for (let i = 0; i < n; i++) rotated[i] = order[(first + i) % n]!;
  return rotated;
}

function header(w: MessageWriter, a: Answer, tc: boolean, counts: [number, number, number]): void {
  w.u16(0);
  w.u16(0x8000 | (a.aa ? 0x0400 : 0) | (tc ? 0x0200 : 0) | (a.rcode & 0xf));
  w.u16(1);
  w.u16(counts[0]);
  w.u16(counts[1]);
  w.u16(counts[2]);
}

/** A reply's header with these counts, and its question: how every reply starts. */
function headerAndQuestion(name: string, type: number, a: Answer, tc: boolean, counts: [number, number, number]): Buffer {
  const w = new MessageWriter(64);
  header(w, a, tc, counts);
  w.name(name);
  w.u16(type);
  w.u16(CLASS_IN);
  return w.bytes();
}

/** Replies are cut to this many bytes, so that an OPT record still fits in binder's TCP limit. */
const MAX_FITTED = MAX_TCP - OPT_LENGTH;

/**
 * One reply with as many whole records as fit in `MAX_FITTED` bytes, in
 * section order: over TCP a large service gets a partial set, never TC
 * (binder-compatible clients take it). Cutting the tail is safe because
 * compression pointers only point backwards. The counts never overflow.
 */
function encode(name: string, type: number, a: Answer, answers: ResourceRecord[]): Buffer {
  const w = new MessageWriter(512);
  header(w, a, false, [0, 0, 0]);
  w.name(name);
  w.u16(type);
  w.u16(CLASS_IN);
  const counts = [0, 0, 0];
  let end = w.length;
  const sections = [answers, a.authorities, a.additionals];
  fill: for (let s = 0; s < sections.length; s++) {
    for (const r of sections[s]!) {
      w.record(r);
      if (w.length > MAX_FITTED) break fill;
      end = w.length;
      counts[s]!++;
    }
  }
  for (let s = 0; s < 3; s++) w.setU16(6 + 2 * s, counts[s]!);
  const out = w.bytes();
  return end === out.length ? out : Buffer.from(out.subarray(0, end));
}

/**
 * Encodes an answer for the question (name lower-cased, type): its length
 * and truncated form now, each order it is served in when a query first
 * draws it. Under churn a service's cached reply lives a few ms (every
 * member joining or leaving drops it), and a reply too large for the
 * query's UDP size is served truncated whatever its order: encoding all 16
 * orders at once was the server's largest cost of a change
 * (bench/server-churn.ts), and a reply laid out from its records' bytes
 * (reply-blocks.ts) knows its length before any is written, so one that
 * only ever goes out truncated is never written at all.
 */
export function encodeAnswer(name: string, type: number, a: Answer): WireAnswer {
  const count = a.shuffle ? orderCount(a.answers.length) : 1;
  const truncated = headerAndQuestion(name, type, a, true, [0, 0, 0]);
  if (count === 1) {
    const whole = encode(name, type, a, a.answers);
    return { rcode: a.rcode, length: whole.length, variants: [whole], truncated };
  }
  const n = a.answers.length;
  const all = n <= ALL_PERMUTATIONS_UP_TO ? orders(n) : undefined;
  const order = (k: number) => (all ? all[k]! : sampledOrder(n, k));
  const variants = new Array<Buffer | undefined>(count).fill(undefined);
  const blocks = replyBlocks(headerAndQuestion(name, type, a, false, [n, 0, a.additionals.length]), name, a);
  // A reply of another shape is encoded whole in each order, its first one now: that is how its length is known.
  const first = blocks ? undefined : encode(name, type, a, order(0).map((i) => a.answers[i]!));
  const wire: WireAnswer = { rcode: a.rcode, length: blocks ? blocks.length : first!.length, variants, truncated };
  let filled = 0;
  wire.encodeVariant = (k) => {
    const out = layOut(name, type, a, blocks, order(k)) ?? truncated;
    if (++filled === count) wire.encodeVariant = undefined;
    return out;
  };
  if (first) { variants[0] = first; filled = 1; }
  return wire;
}

/**
 * One order of a shuffled reply: from its blocks, or encoded whole; never
 * throws, as it runs when a query draws the order. A record the blocks
 * cannot be written from (intake's checks leave none) is encoded whole,
 * and undefined when it cannot be encoded at all: the reply then goes out
 * truncated.
 */
function layOut(name: string, type: number, a: Answer, blocks: ReplyBlocks | undefined, order: number[]): Buffer | undefined {
  try {
    if (blocks) return assembleOrder(blocks, order);
  } catch { /* encoded whole below */ }
  try {
    return encode(name, type, a, order.map((i) => a.answers[i]!));
  } catch {
    return undefined;
  }
}

/** The largest reply a query may get: 512 plain UDP, min(EDNS size, 1470) with EDNS, 65530 over TCP (a cached reply always fits). */
export function sizeLimit(tcp: boolean, ednsSize: number): number {
  if (tcp) return MAX_TCP;
  if (ednsSize === 0) return PLAIN_UDP;
  return Math.min(Math.max(ednsSize, PLAIN_UDP), MAX_UDP);
}

/**
 * The hot path: one copy of reply `a` with the query's ID, rd bit and
 * question name (its original case: 0x20-safe) patched in, plus an OPT
 * record when the query had one. Truncated when over the UDP size limit
 * (every order has the same length, so then none is drawn, nor ever
 * written); over TCP the cached reply always fits. Else one of `a`'s
 * orders at random, encoded the first time it is drawn. `nameEnd` 12
 * keeps the cached (lower-cased) question.
 */
export function finish(a: WireAnswer, query: Buffer, nameEnd: number, ednsSize: number, tcp: boolean): Buffer {
  const opt = ednsSize > 0 ? OPT_LENGTH : 0;
  const v = a.variants;
  let src: Buffer;
  if (a.length + opt > sizeLimit(tcp, ednsSize)) src = a.truncated;
  else if (v.length === 1) src = v[0]!;
  else {
    const k = (Math.random() * v.length) | 0;
    src = v[k] ??= a.encodeVariant!(k);
  }
  const out = Buffer.allocUnsafe(src.length + opt);
  // `set` and a byte loop rather than Buffer#copy: its argument checks cost more than these few bytes (~100 ns a reply).
  out.set(src);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = (out[2]! & 0xfe) | (query[2]! & 0x01);
  for (let i = 12; i < nameEnd; i++) out[i] = query[i]!;
  if (opt) writeOpt(out, src.length);
  return out;
}

/** Appends Herald's OPT record at `at` and counts it in ARCOUNT. */
function writeOpt(out: Buffer, at: number): void {
  out[at] = 0;
  out.writeUInt16BE(41, at + 1);
  out.writeUInt16BE(MAX_UDP, at + 3);
  out.writeUInt32BE(0, at + 5);
  out.writeUInt16BE(0, at + 9);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
}

/** A reply with only the question: REFUSED, SERVFAIL, NOTIMP, FORMERR. Copies the query's header and question. */
export function bareReply(query: Buffer, questionEnd: number, rcode: number, hasOpt: boolean): Buffer {
  const opt = hasOpt ? OPT_LENGTH : 0;
  const out = Buffer.allocUnsafe(questionEnd + opt);
  query.copy(out, 0, 0, questionEnd);
  // qr set, opcode and rd kept, aa/tc/ra/ad/cd clear.
  out[2] = 0x80 | (query[2]! & 0x79);
  out[3] = rcode & 0xf;
  out.writeUInt16BE(questionEnd > 12 ? 1 : 0, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(0, 10);
  if (opt) writeOpt(out, questionEnd);
  return out;
}
