import { Buffer } from 'node:buffer';
import { MalformedPacketError } from './errors.ts';
import type { Edns, Message, Question, ResourceRecord } from './message.ts';
import { hashedTextOf, ipv4Text, textHashStep } from './text-cache.ts';
import { RecordType, typeName } from './types.ts';

const HEADER = 12;
const NO_DATA = new Uint8Array(0);
const MAX_POINTERS = 64;

/**
 * Parses a DNS message. Throws `MalformedPacketError` for anything that does
 * not parse exactly: short buffers, counts that overrun, pointer loops.
 */
export function decodeMessage(buf: Uint8Array): Message {
  if (buf.length < HEADER) throw new MalformedPacketError(`${buf.length} bytes, shorter than a header`);
  const flags = u16(buf, 2);
  const qdcount = u16(buf, 4);
  const reader: Reader = { buf, offset: HEADER };
  startMessage();
  const questions: Question[] = [];
  for (let i = 0; i < qdcount; i++) {
    const name = readName(reader);
    need(reader, 4);
    questions.push({ name, type: u16(buf, reader.offset), class: u16(buf, reader.offset + 2) });
    reader.offset += 4;
  }
  const answers = readRecords(reader, u16(buf, 6));
  const authorities = readRecords(reader, u16(buf, 8));
  const additionals = readRecords(reader, u16(buf, 10));
  let edns: Edns | undefined;
  let rcode = flags & 0xf;
  // OPT is lifted out of the additional section, in place: class is the UDP size, TTL packs extended rcode, version and DO.
  let kept = 0;
  for (let i = 0; i < additionals.length; i++) {
    const record = additionals[i]!;
    if (record.type !== RecordType.OPT) { additionals[kept++] = record; continue; }
    rcode |= (record.ttl >>> 24) << 4;
    edns = { udpSize: record.class, version: (record.ttl >>> 16) & 0xff, dnssecOk: (record.ttl & 0x8000) !== 0 };
  }
  additionals.length = kept;
  const message: Message = {
    id: u16(buf, 0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode,
    questions,
    answers,
    authorities,
    additionals,
  };
  if (edns) message.edns = edns;
  return message;
}

interface Reader {
  buf: Uint8Array;
  offset: number;
}

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

function u32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/*
 * Names already decoded in the message being decoded, by the offset they
 * start at. Compression points most names at one decoded before (answer
 * owners at the question, glue owners at SRV targets): each is then decoded
 * once. Module state reused message after message (decoding is synchronous),
 * so that a message costs no map and no entry objects; a short list scanned
 * in full, since a reply names few owners and targets. Past SEEN_MAX names a
 * message's further names are walked in full (at most 255 bytes each).
 */
const SEEN_MAX = 32;
const seenStarts = new Int32Array(SEEN_MAX);
const seenLengths = new Int32Array(SEEN_MAX);
const seenNames: string[] = new Array<string>(SEEN_MAX).fill('');
let seenCount = 0;

function startMessage(): void {
  seenCount = 0;
}

function seenAt(start: number): number {
  for (let i = 0; i < seenCount; i++) if (seenStarts[i] === start) return i;
  return -1;
}

function remember(start: number, name: string, length: number): void {
  if (seenCount === SEEN_MAX) return;
  seenStarts[seenCount] = start;
  seenLengths[seenCount] = length;
  seenNames[seenCount++] = name;
}

function need(r: Reader, n: number): void {
  if (r.offset + n > r.buf.length) throw new MalformedPacketError(`needs ${n} bytes at offset ${r.offset}, has ${r.buf.length - r.offset}`);
}

/** Reads a possibly compressed name at the reader's offset and moves past it. */
function readName(r: Reader): string {
  const name = decodeName(r.buf, r.offset, true);
  r.offset = nameEnd;
  return name;
}

// Names are written here as text bytes, then made into one string (or found
// in the text cache): a name costs at most one string allocation.
const scratch = Buffer.allocUnsafe(255 * 4);

/** Decodes the name at `start`; `end` is where the name ends in place. */
export function nameAt(buf: Uint8Array, start: number): { name: string; end: number } {
  const name = decodeName(buf, start, false);
  return { name, end: nameEnd };
}

// Where the name last decoded ends in place: a second return value without an object per name.
let nameEnd = 0;

const POINTER = -1;

/** The length of the label at `offset`, or POINTER for a compression pointer; throws for anything else. */
function labelAt(buf: Uint8Array, offset: number): number {
  if (offset >= buf.length) throw new MalformedPacketError(`name runs past the end at offset ${offset}`);
  const len = buf[offset]!;
  const kind = len & 0xc0;
  if (kind === 0xc0) return POINTER;
  if (kind !== 0) throw new MalformedPacketError(`unsupported label type 0x${len.toString(16)}`);
  return len;
}

/** Where the pointer at `offset` leads; `jumps` counts the pointers followed so far in this name. */
function pointerTarget(buf: Uint8Array, offset: number, jumps: number): number {
  if (offset + 1 >= buf.length) throw new MalformedPacketError('compression pointer cut short');
  if (jumps > MAX_POINTERS) throw new MalformedPacketError('compression pointer loop');
  return ((buf[offset]! & 0x3f) << 8) | buf[offset + 1]!;
}

/** Checks that the label of `len` bytes at `offset` is in the buffer and the name stays within 255 bytes; the new length. */
function labelFits(buf: Uint8Array, offset: number, len: number, length: number): number {
  if (offset + 1 + len > buf.length) throw new MalformedPacketError('label runs past the end');
  const total = length + len + 1;
  if (total > 255) throw new MalformedPacketError('name longer than 255 bytes');
  return total;
}

/**
 * `cached`: names of the message being decoded (decodeMessage), not a lone
 * name (nameAt). One pass over the labels: each byte is written as text and
 * hashed for the text cache as it goes (this is the decoder's hottest loop:
 * every owner and target of every reply).
 */
function decodeName(buf: Uint8Array, start: number, cached: boolean): string {
  let n = 0;
  let h = 0;
  let offset = start;
  let end = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    const len = labelAt(buf, offset);
    if (len === 0) { offset++; break; }
    if (len === POINTER) {
      if (end < 0) end = offset + 2;
      offset = pointerTarget(buf, offset, ++jumps);
      const known = cached ? seenAt(offset) : -1;
      if (known >= 0) {
        length += seenLengths[known]!;
        if (length > 255) throw new MalformedPacketError('name longer than 255 bytes');
        const rest = seenNames[known]!;
        let name = rest;
        if (n > 0) {
          // The labels read so far, a dot and the known rest: one text, looked up whole.
          if (rest !== '') {
            scratch[n++] = 0x2e;
            h = textHashStep(h, 0x2e);
            for (let i = 0; i < rest.length; i++) { const c = rest.charCodeAt(i); scratch[n++] = c; h = textHashStep(h, c); }
          }
          name = hashedTextOf(scratch, n, h);
        }
        remember(start, name, length);
        nameEnd = end;
        return name;
      }
      continue;
    }
    length = labelFits(buf, offset, len, length);
    const next = offset + 1 + len;
    if (n > 0) { scratch[n++] = 0x2e; h = textHashStep(h, 0x2e); }
    for (let i = offset + 1; i < next; i++) {
      const c = buf[i]!;
      if (c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c) { scratch[n++] = c; h = textHashStep(h, c); continue; }
      // Dots, backslashes and unprintable bytes inside a label are escaped as dig does.
      const from = n;
      if (c === 0x2e || c === 0x5c) { scratch[n++] = 0x5c; scratch[n++] = c; }
      else { scratch[n++] = 0x5c; scratch[n++] = 0x30 + ((c / 100) | 0); scratch[n++] = 0x30 + (((c / 10) | 0) % 10); scratch[n++] = 0x30 + (c % 10); }
      for (let j = from; j < n; j++) h = textHashStep(h, scratch[j]!);
    }
    offset = next;
  }
  const name = hashedTextOf(scratch, n, h);
  if (cached) remember(start, name, length);
  nameEnd = end < 0 ? offset : end;
  return name;
}

function readRecords(r: Reader, count: number): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const name = readName(r);
    need(r, 10);
    const buf = r.buf;
    const type = u16(buf, r.offset);
    const klass = u16(buf, r.offset + 2);
    const ttl = u32(buf, r.offset + 4);
    const rdlength = u16(buf, r.offset + 8);
    r.offset += 10;
    need(r, rdlength);
    const start = r.offset;
    const end = start + rdlength;
    records.push(readData(r, name, klass, ttl, type, start, end));
    r.offset = end;
  }
  return records;
}

/**
 * RFC 5952 text of the 16 bytes at `at`: lower-case hex groups, the longest
 * run of two or more zero groups (the first, on a tie) as `::`. Written out
 * directly: the generic string round trip costs several times more.
 */
function ipv6Text(buf: Uint8Array, at: number): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (u16(buf, at + i * 2) !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && u16(buf, at + j * 2) === 0) j++;
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) { text += '::'; i += bestLen - 1; continue; }
    if (text !== '' && !text.endsWith(':')) text += ':';
    text += u16(buf, at + i * 2).toString(16);
  }
  return text;
}

function exactSize(type: number, size: number, n: number): void {
  if (size !== n) throw new MalformedPacketError(`${typeName(type)} RDATA of ${size} bytes, expected ${n}`);
}

/** A name inside RDATA that must end within it; `nameEnd` is set past it. */
function nameWithin(r: Reader, at: number, end: number, type: number): string {
  const name = decodeName(r.buf, at, true);
  if (nameEnd > end) throw new MalformedPacketError(`${typeName(type)} name runs past its RDATA`);
  return name;
}

// Literal objects and no closures on the A/SRV/PTR paths: every resolver reply goes through them.
function readData(r: Reader, name: string, klass: number, ttl: number, type: number, start: number, end: number): ResourceRecord {
  const buf = r.buf;
  const size = end - start;
  switch (type) {
    case RecordType.A:
      exactSize(type, size, 4);
      return { name, class: klass, ttl, type, address: ipv4Text(buf, start) };
    case RecordType.AAAA: {
      exactSize(type, size, 16);
      return { name, class: klass, ttl, type, address: ipv6Text(buf, start) };
    }
    case RecordType.SRV: {
      if (size < 7) throw new MalformedPacketError(`SRV RDATA of ${size} bytes`);
      const target = nameWithin(r, start + 6, end, type);
      return { name, class: klass, ttl, type, priority: u16(buf, start), weight: u16(buf, start + 2), port: u16(buf, start + 4), target };
    }
    case RecordType.PTR:
      return { name, class: klass, ttl, type, target: nameWithin(r, start, end, type) };
    case RecordType.CNAME:
      return { name, class: klass, ttl, type, target: nameWithin(r, start, end, type) };
    case RecordType.NS:
      return { name, class: klass, ttl, type, target: nameWithin(r, start, end, type) };
    case RecordType.SOA: {
      const mname = nameWithin(r, start, end, type);
      const rname = nameWithin(r, nameEnd, end, type);
      const at = nameEnd;
      if (end - at !== 20) throw new MalformedPacketError('SOA RDATA has the wrong length');
      return {
        name, class: klass, ttl, type, mname, rname,
        serial: u32(buf, at), refresh: u32(buf, at + 4), retry: u32(buf, at + 8),
        expire: u32(buf, at + 12), minimum: u32(buf, at + 16),
      };
    }
    case RecordType.TXT: {
      const texts: string[] = [];
      let at = start;
      while (at < end) {
        const len = buf[at]!;
        if (at + 1 + len > end) throw new MalformedPacketError('TXT string runs past its RDATA');
        texts.push(Buffer.from(buf.subarray(at + 1, at + 1 + len)).toString('latin1'));
        at += 1 + len;
      }
      return { name, class: klass, ttl, type, texts };
    }
    case RecordType.OPT:
      // Lifted into `edns` and dropped by decodeMessage, its options unread: no view of them is made.
      return { name, class: klass, ttl, type, data: NO_DATA };
    default: {
      const layout = NAMED_RDATA.get(type);
      return { name, class: klass, ttl, type, data: layout ? expandNames(buf, start, end, layout, type) : buf.slice(start, end) };
    }
  }
}

type Field = 'u16' | 'name' | 'string';

/**
 * Types Herald keeps as bytes whose RDATA holds names that a server may
 * compress (RFC 1035's MX, MINFO, MB/MG/MR; RFC 3597 §4 asks receivers to
 * take compression in RP, AFSDB, RT, PX, NAPTR, KX too), by field.
 */
const NAMED_RDATA = new Map<number, readonly Field[]>([
  [7, ['name']], [8, ['name']], [9, ['name']], [RecordType.DNAME, ['name']],
  [14, ['name', 'name']], [RecordType.RP, ['name', 'name']],
  [RecordType.MX, ['u16', 'name']], [RecordType.AFSDB, ['u16', 'name']], [21, ['u16', 'name']], [RecordType.KX, ['u16', 'name']],
  [26, ['u16', 'name', 'name']],
  [RecordType.NAPTR, ['u16', 'u16', 'string', 'string', 'string', 'name']],
]);

/**
 * The RDATA at `start..end` with every compressed name written out in full,
 * so that the bytes stand alone (printable later, RFC 3597 form included).
 */
function expandNames(buf: Uint8Array, start: number, end: number, layout: readonly Field[], type: number): Uint8Array {
  const out: number[] = [];
  let at = start;
  for (const field of layout) {
    if (field === 'name') {
      at = copyName(buf, at, out);
    } else {
      const n = field === 'u16' ? 2 : 1 + (buf[at] ?? 0);
      if (at + n > end) throw new MalformedPacketError(`${typeName(type)} RDATA cut short`);
      for (let i = at; i < at + n; i++) out.push(buf[i]!);
      at += n;
    }
    if (at > end) throw new MalformedPacketError(`${typeName(type)} name runs past its RDATA`);
  }
  if (at !== end) throw new MalformedPacketError(`${typeName(type)} RDATA has ${end - at} bytes left over`);
  return Uint8Array.from(out);
}

/** Copies the wire name at `at` to `out` uncompressed; returns where it ends in place. */
function copyName(buf: Uint8Array, at: number, out: number[]): number {
  let offset = at;
  let end = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    const len = labelAt(buf, offset);
    if (len === POINTER) {
      if (end < 0) end = offset + 2;
      offset = pointerTarget(buf, offset, ++jumps);
      continue;
    }
    length = labelFits(buf, offset, len, length);
    for (let i = offset; i <= offset + len; i++) out.push(buf[i]!);
    offset += len + 1;
    if (len === 0) break;
  }
  return end < 0 ? offset : end;
}
