import { Buffer } from 'node:buffer';
import { normalizeName } from '../dns/index.ts';
/** What the hot path needs from a query, read without building a message object. */
export interface QueryView {
  /** Offset just past the question name (where QTYPE starts). */
  nameEnd: number;
  /** `nameHash` of the question name, read off the wire: the cache key, no string built. */
  nameHash: number;
  /** The name has an upper-case letter: a reply must carry the question's own bytes (0x20), not the cached lower-cased ones. */
  mixedCase: boolean;
  qtype: number;
  qclass: number;
  /** Bytes 2 and 3 of the header. */
  flags: number;
  /** EDNS UDP payload size, or 0 when the query has no OPT record. */
  ednsSize: number;
  /** True when the OPT record carried options or a non-zero version: answer through the slow path. */
  ednsUnusual: boolean;
  /** The question name's wire bytes, lower-cased, four to a word (`foldedWords`): what the answer cache compares, without reading the bytes again. */
  readonly words: Int32Array;
}

/** Why a packet gets no answer at all. */
export type DropReason = 'malformed' | 'response' | 'oversized';

/** A view for `readQuery` to fill: one per thread, reused for every packet so that reading a query allocates nothing. */
export function newQueryView(): QueryView {
  return { nameEnd: 0, nameHash: 0, mixedCase: false, qtype: 0, qclass: 0, flags: 0, ednsSize: 0, ednsUnusual: false, words: new Int32Array(MAX_NAME_WORDS) };
}

/**
 * Reads one standard query into `view` (and returns it). Returns a drop
 * reason for packets that must not be answered (responses, garbage), and
 * undefined when the query is well formed but unusual (several questions,
 * compressed question name, records in other sections): those take the
 * slow path through `decodeMessage`.
 */
export function readQuery(buf: Buffer, view: QueryView = newQueryView()): QueryView | DropReason | undefined {
  const length = buf.length;
  if (length < 17) return 'malformed';
  if ((buf[2]! & 0x80) !== 0) return 'response';
  if ((buf[4]! | buf[6]! | buf[7]! | buf[8]! | buf[9]! | buf[10]!) !== 0 || buf[5] !== 1 || buf[11]! > 1) return undefined;
  let at = 12;
  for (;;) {
    if (at >= length) return 'malformed';
    const len = buf[at]!;
    if (len === 0) { at++; break; }
    if (len > 63) return undefined;
    at += len + 1;
    if (at - 12 > 255) return 'malformed';
  }
  // 255 bytes at most, the root's zero byte included (RFC 1035 3.1).
  if (at - 12 > 255) return 'malformed';
  const nameEnd = at;
  if (nameEnd + 4 > length) return 'malformed';
  const qtype = (buf[nameEnd]! << 8) | buf[nameEnd + 1]!;
  const qclass = (buf[nameEnd + 2]! << 8) | buf[nameEnd + 3]!;
  at = nameEnd + 4;
  let ednsSize = 0;
  let ednsUnusual = false;
  if (buf[11] === 1) {
    // The one additional record must be an OPT with the root as owner.
    if (at + 11 > length || buf[at] !== 0 || buf[at + 1] !== 0 || buf[at + 2] !== 41) return undefined;
    // RFC 6891: sizes under 512 mean 512; non-zero marks "the query had EDNS".
    ednsSize = Math.max(512, (buf[at + 3]! << 8) | buf[at + 4]!);
    const version = buf[at + 6]!;
    const rdlength = (buf[at + 9]! << 8) | buf[at + 10]!;
    if (at + 11 + rdlength !== length) return 'malformed';
    ednsUnusual = version !== 0 || rdlength !== 0;
  }
  // nameHash over the wire bytes, a word at a time, in the same loop keeping the folded words and noting an upper-case letter.
  let h = FNV_OFFSET;
  let upper = 0;
  const words = view.words;
  for (let i = 12, j = 0; i < nameEnd; i += 4, j++) {
    const w = wordAt(buf, i, nameEnd);
    const u = upperLanes(w);
    upper |= u;
    const folded = w | (u >>> 2);
    words[j] = folded;
    h = Math.imul(h ^ folded, FNV_PRIME);
  }
  view.nameEnd = nameEnd;
  view.nameHash = h & 0x3fffffff;
  view.mixedCase = upper !== 0;
  view.qtype = qtype;
  view.qclass = qclass;
  view.flags = (buf[2]! << 8) | buf[3]!;
  view.ednsSize = ednsSize;
  view.ednsUnusual = ednsUnusual;
  return view;
}

/** Words of a wire name of 255 bytes at most. */
const MAX_NAME_WORDS = 64;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** The (up to) four bytes of `buf` at `i`, before `to`, as one little-endian word; lanes past `to` are 0. */
function wordAt(buf: Uint8Array, i: number, to: number): number {
  if (i + 4 <= to) return buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
  let w = 0;
  for (let k = 0; i + k < to; k++) w |= buf[i + k]! << (8 * k);
  return w;
}

/**
 * 0x80 in each byte lane of `w` that holds an ASCII upper-case letter
 * (0x41..0x5a), 0 elsewhere: `w | (upperLanes(w) >>> 2)` is `w` lower-cased.
 * A lane's low seven bits b are a letter when b + 0x3f reaches bit 7 and
 * b + 0x25 does not (neither carries into the next lane), and the byte's
 * own bit 7 must be clear.
 */
function upperLanes(w: number): number {
  const low = w & 0x7f7f7f7f;
  return ((low + 0x3f3f3f3f) & ~(low + 0x25252525) & ~w & 0x80808080) | 0;
}

/**
 * `nameHash` of the wire name at `from`..`to` of `buf`: FNV-1a over its
 * bytes four at a time (a quarter of the multiplications of one a byte,
 * each waiting on the last), ASCII letters lower-cased; what `readQuery`
 * computes in its own loop, noting case as it goes.
 */
export function wireNameHash(buf: Uint8Array, from: number, to: number): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i += 4) {
    const w = wordAt(buf, i, to);
    h = Math.imul(h ^ (w | (upperLanes(w) >>> 2)), FNV_PRIME);
  }
  return h & 0x3fffffff;
}

/**
 * The hash of a dotted name's wire form (`a.moray.coal.joyent.us`, no
 * escapes; length bytes and the final zero included), case-insensitive, cut
 * to 30 bits so that it is a small integer (a cheap Map key): what
 * `readQuery` reads off a query's bytes as `nameHash`.
 */
export function nameHash(name: string): number {
  const labels = name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
  const wire = Buffer.alloc(labels.reduce((n, l) => n + l.length + 1, 1));
  let at = 0;
  for (const label of labels) {
    wire[at++] = label.length;
    at += wire.write(label, at, 'latin1');
  }
  return wireNameHash(wire, 0, wire.length);
}

/** The wire name at `from`..`to` of `buf`, lower-cased, as words of four bytes (the last one zero-padded): what `readQuery` keeps in `view.words`. */
export function foldedWords(buf: Uint8Array, from: number, to: number): Int32Array {
  const out = new Int32Array((to - from + 3) >> 2);
  for (let i = from, j = 0; i < to; i += 4, j++) {
    const w = wordAt(buf, i, to);
    out[j] = w | (upperLanes(w) >>> 2);
  }
  return out;
}

/**
 * The question name of an uncompressed question ending at `nameEnd`, read
 * from the wire labels and normalized; undefined when a label holds a byte
 * a served name cannot have (a dot or a space inside a label would otherwise
 * read as another name). Such questions are REFUSED.
 */
export function questionName(buf: Buffer, nameEnd: number): string | undefined {
  let name = '';
  for (let at = 12; at < nameEnd - 1; ) {
    const len = buf[at]!;
    for (let i = at + 1; i <= at + len; i++) {
      const c = buf[i]!;
      const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
      if (!ok) return undefined;
    }
    name += (name ? '.' : '') + buf.toString('latin1', at + 1, at + 1 + len);
    at += len + 1;
  }
  try {
    return normalizeName(name);
  } catch {
    return undefined;
  }
}

/** Where the first question's name ends when it is written without compression pointers, else undefined. */
export function plainNameEnd(buf: Buffer): number | undefined {
  if (buf.length < 12 || buf.readUInt16BE(4) === 0) return undefined;
  let at = 12;
  for (;;) {
    if (at >= buf.length) return undefined;
    const len = buf[at]!;
    if (len === 0) return at + 5 <= buf.length && at - 11 <= 255 ? at + 1 : undefined;
    if (len > 63) return undefined;
    at += len + 1;
  }
}
