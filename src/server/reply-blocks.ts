// Node 24's global `Buffer` is an accessor: every use through it costs a getter call.
import { Buffer } from 'node:buffer';
import { MessageWriter, RecordType } from '../dns/index.ts';
import type { Answer } from './answer.ts';

/** Where the question's name starts: right after the header. */
const QUESTION_AT = 12;
/** Compression pointers reach offsets below this: past it, names are compressed otherwise (so not here). */
const POINTER_LIMIT = 0x4000;
/** A record owned by a pointer, up to its RDATA: owner 2, type 2, class 2, TTL 4, RDLENGTH 2. */
const OWNED_RECORD = 12;
/** An SRV's RDATA before its target: priority, weight, port. */
const SRV_FIXED_RDATA = 6;
/** Where the target starts in an SRV record owned by a pointer. */
const SRV_TARGET_AT = OWNED_RECORD + SRV_FIXED_RDATA;

/** The length of an A or AAAA record owned by a pointer. */
function addressRecordLength(type: number): number {
  return OWNED_RECORD + (type === RecordType.A ? 4 : 16);
}

/**
 * A shuffled reply taken apart into the bytes of each of its records, so
 * that each order of it is those bytes laid end to end, not a new encoding
 * (after every change to a service its reply is made again, and each order
 * a query draws was encoded whole: 15 further orders of a 40-member SRV
 * reply cost 0.22× as much this way, in process). Every answer is owned by the question's name (a pointer to it),
 * and SRV targets are never compressed, so an answer's bytes are the same
 * wherever it goes; an additional record's owner points at its target in
 * the answers, the last one holding that name in the order served, exactly
 * where `MessageWriter` would point it.
 *
 * Where each record starts follows from its fields alone, so the layout
 * (`replyBlocks`) knows the reply's length without writing a byte; the
 * bytes are written when an order is first laid out (`assembleOrder`). A
 * reply too large for plain UDP, as a service of ten or more members' SRV
 * reply is, goes out truncated to every query without EDNS, and then only
 * its length is ever needed.
 */
export interface ReplyBlocks {
  /** Header (counts set) and question. */
  readonly prefix: Buffer;
  /** The reply the records are written from, when first needed. */
  readonly answer: Answer;
  /** Where each record starts, counted from the first, answers then additionals, and where the last one ends. */
  readonly starts: Int32Array;
  readonly answerCount: number;
  /** SRV answers: the id of each one's target (lower-cased), which additionals point at. */
  readonly targetIds: Int32Array | undefined;
  readonly targets: number;
  /** The target id whose position each additional's owner points at. */
  readonly additionalTargets: Int32Array;
  /** The whole reply's length, in every order. */
  readonly length: number;
  /** Every record's bytes, once written (the additionals with their owner pointer still to be set: its first two bytes). */
  records: Buffer | undefined;
}

/**
 * The layout of reply `a` to the question `prefix` holds (header and
 * question as the reply starts, `name` lower-cased), or undefined when the
 * reply is not of that shape — then it is encoded whole in each order, as
 * before. The shape: no authorities; every answer owned by the question's
 * name, all A, all AAAA, or all SRV whose targets have one label count (so
 * no target is a suffix of another, and each one's own offset is where
 * `MessageWriter` remembers it); additionals only with SRV, each an address
 * of one of the targets; the whole reply within pointer reach.
 */
export function replyBlocks(prefix: Buffer, name: string, a: Answer): ReplyBlocks | undefined {
  if (a.authorities.length > 0 || a.answers.length === 0) return undefined;
  const type = a.answers[0]!.type;
  if (type !== RecordType.A && type !== RecordType.AAAA && type !== RecordType.SRV) return undefined;
  if (type !== RecordType.SRV && a.additionals.length > 0) return undefined;
  const lower = name.toLowerCase();
  const starts = new Int32Array(a.answers.length + a.additionals.length + 1);
  /** Target id by the spelling seen (answers and additionals share the strings: most are never lower-cased again), and by lower case. */
  const spelled = new Map<string, number>();
  const ids = new Map<string, number>();
  const targetIds = type === RecordType.SRV ? new Int32Array(a.answers.length) : undefined;
  let labels = -1;
  let at = 0;
  for (let i = 0; i < a.answers.length; i++) {
    const r = a.answers[i]!;
    // Records given as RDATA bytes are another shape: their lengths are not the fields'.
    if (r.type !== type || 'data' in r || (r.name !== name && r.name.toLowerCase() !== lower)) return undefined;
    starts[i] = at;
    if ('target' in r) {
      let id = spelled.get(r.target);
      if (id === undefined) {
        const target = r.target.toLowerCase();
        id = ids.get(target);
        if (id === undefined) {
          const count = labelCount(target);
          if (labels >= 0 && count !== labels) return undefined;
          labels = count;
          ids.set(target, (id = ids.size));
        }
        spelled.set(r.target, id);
      }
      targetIds![i] = id;
      // The target is written whole: a length byte per label and the root's, one byte per character.
      at += OWNED_RECORD + SRV_FIXED_RDATA + r.target.length + 2;
    } else at += addressRecordLength(type);
  }
  const additionalTargets = new Int32Array(a.additionals.length);
  for (let j = 0; j < a.additionals.length; j++) {
    const r = a.additionals[j]!;
    if ((r.type !== RecordType.A && r.type !== RecordType.AAAA) || 'data' in r) return undefined;
    const id = spelled.get(r.name) ?? ids.get(r.name.toLowerCase());
    if (id === undefined) return undefined;
    additionalTargets[j] = id;
    starts[a.answers.length + j] = at;
    at += addressRecordLength(r.type);
  }
  starts[starts.length - 1] = at;
  const length = prefix.length + at;
  if (length > POINTER_LIMIT) return undefined;
  return { prefix, answer: a, starts, answerCount: a.answers.length, targetIds, targets: ids.size, additionalTargets, length, records: undefined };
}

/**
 * Every record's bytes, as the layout placed them. Throws when a record
 * cannot be written (none can: records are checked where they enter the
 * zone) or is not where the layout put it.
 */
function recordBytes(b: ReplyBlocks): Buffer {
  const { answers, additionals } = b.answer;
  const end = b.starts[b.starts.length - 1]!;
  const w = new MessageWriter(end, { remember: false });
  // Additionals are owned by the question for now: `assembleOrder` points each one at its target.
  for (const r of answers) w.recordOwnedAt(r, QUESTION_AT);
  for (const r of additionals) w.recordOwnedAt(r, QUESTION_AT);
  if (w.length !== end) throw new Error(`records take ${w.length} bytes, laid out as ${end}`);
  return w.bytes();
}

/** The reply in the order `order` (indexes into the answers): its blocks end to end, each additional's owner pointed at its target. */
export function assembleOrder(b: ReplyBlocks, order: readonly number[]): Buffer {
  const records = (b.records ??= recordBytes(b));
  const out = Buffer.allocUnsafe(b.length);
  out.set(b.prefix, 0);
  let at = b.prefix.length;
  const { starts, targetIds } = b;
  const targetAt = targetIds ? new Int32Array(b.targets) : undefined;
  // Byte loops from one buffer: a view per record, made with the blocks, cost a reply's first order more
  // than these copies save its others.
  for (const i of order) {
    if (targetAt) targetAt[targetIds![i]!] = at + SRV_TARGET_AT;
    for (let p = starts[i]!, end = starts[i + 1]!; p < end; p++) out[at++] = records[p]!;
  }
  // The additionals keep their order: copied in one piece, then each owner pointed at its target.
  const first = starts[b.answerCount]!;
  if (first === records.length) return out;
  out.set(records.subarray(first), at);
  for (let j = 0, k = b.answerCount; k < starts.length - 1; j++, k++) {
    const pointer = targetAt![b.additionalTargets[j]!]!;
    const owner = at + starts[k]! - first;
    out[owner] = 0xc0 | (pointer >> 8);
    out[owner + 1] = pointer & 0xff;
  }
  return out;
}

function labelCount(name: string): number {
  let n = 1;
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) n++;
  return n;
}
