import { MalformedPacketError } from './errors.ts';
import type { Edns, Message, Question, ResourceRecord } from './message.ts';
import { RecordType, typeName } from './types.ts';

const HEADER = 12;
const MAX_POINTERS = 64;

/**
 * Parses a DNS message. Throws `MalformedPacketError` for anything that does
 * not parse exactly: short buffers, counts that overrun, pointer loops.
 */
export function decodeMessage(buf: Uint8Array): Message {
  if (buf.length < HEADER) throw new MalformedPacketError(`${buf.length} bytes, shorter than a header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const flags = view.getUint16(2);
  const counts = [view.getUint16(4), view.getUint16(6), view.getUint16(8), view.getUint16(10)] as const;
  const reader: Reader = { buf, view, offset: HEADER, names: new Map() };
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const name = readName(reader);
    need(reader, 4);
    questions.push({ name, type: view.getUint16(reader.offset), class: view.getUint16(reader.offset + 2) });
    reader.offset += 4;
  }
  const answers = readRecords(reader, counts[1]);
  const authorities = readRecords(reader, counts[2]);
  const rawAdditionals = readRecords(reader, counts[3]);
  const additionals: ResourceRecord[] = [];
  let edns: Edns | undefined;
  let rcode = flags & 0xf;
  for (const record of rawAdditionals) {
    if (record.type !== RecordType.OPT) { additionals.push(record); continue; }
    // OPT: class is the UDP size, TTL packs extended rcode, version and DO.
    rcode |= (record.ttl >>> 24) << 4;
    edns = { udpSize: record.class, version: (record.ttl >>> 16) & 0xff, dnssecOk: (record.ttl & 0x8000) !== 0 };
  }
  const message: Message = {
    id: view.getUint16(0),
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
  view: DataView;
  offset: number;
  /** Names already decoded in this message, by the offset they start at. */
  names: NameCache;
}

/**
 * Decoded names by start offset, within one message. Compression points
 * most names at one decoded before (answer owners at the question, glue
 * owners at SRV targets): each is then decoded once.
 */
export type NameCache = Map<number, { name: string; length: number }>;

function need(r: Reader, n: number): void {
  if (r.offset + n > r.buf.length) throw new MalformedPacketError(`needs ${n} bytes at offset ${r.offset}, has ${r.buf.length - r.offset}`);
}

/** Reads a possibly compressed name at the reader's offset and moves past it. */
function readName(r: Reader): string {
  const name = decodeName(r.buf, r.offset, r.names);
  r.offset = nameEnd;
  return name;
}

// Names are written here as text bytes, then made into one string: a name
// costs one string allocation instead of one per character.
const scratch = Buffer.allocUnsafe(255 * 4);

/** Decodes the name at `start`; `end` is where the name ends in place. */
export function nameAt(buf: Uint8Array, start: number, cache?: NameCache): { name: string; end: number } {
  const name = decodeName(buf, start, cache);
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

function decodeName(buf: Uint8Array, start: number, cache: NameCache | undefined): string {
  let n = 0;
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
      const known = cache?.get(offset);
      if (known !== undefined) {
        length += known.length;
        if (length > 255) throw new MalformedPacketError('name longer than 255 bytes');
        const prefix = n > 0 ? scratch.toString('latin1', 0, n) : '';
        const name = prefix ? (known.name ? prefix + '.' + known.name : prefix) : known.name;
        cache!.set(start, { name, length });
        nameEnd = end;
        return name;
      }
      continue;
    }
    length = labelFits(buf, offset, len, length);
    if (n > 0) scratch[n++] = 0x2e;
    for (let i = offset + 1; i <= offset + len; i++) {
      const c = buf[i]!;
      // Dots and unprintable bytes inside a label are escaped as dig does.
      if (c === 0x2e || c === 0x5c) { scratch[n++] = 0x5c; scratch[n++] = c; }
      else if (c > 0x20 && c < 0x7f) scratch[n++] = c;
      else { scratch[n++] = 0x5c; scratch[n++] = 0x30 + ((c / 100) | 0); scratch[n++] = 0x30 + (((c / 10) | 0) % 10); scratch[n++] = 0x30 + (c % 10); }
    }
    offset += len + 1;
  }
  const name = n > 0 ? scratch.toString('latin1', 0, n) : '';
  cache?.set(start, { name, length });
  nameEnd = end < 0 ? offset : end;
  return name;
}

function readRecords(r: Reader, count: number): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const name = readName(r);
    need(r, 10);
    const type = r.view.getUint16(r.offset);
    const klass = r.view.getUint16(r.offset + 2);
    const ttl = r.view.getUint32(r.offset + 4);
    const rdlength = r.view.getUint16(r.offset + 8);
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
function ipv6Text(view: DataView, at: number): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (view.getUint16(at + i * 2) !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && view.getUint16(at + j * 2) === 0) j++;
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) { text += '::'; i += bestLen - 1; continue; }
    if (text !== '' && !text.endsWith(':')) text += ':';
    text += view.getUint16(at + i * 2).toString(16);
  }
  return text;
}

function exactSize(type: number, size: number, n: number): void {
  if (size !== n) throw new MalformedPacketError(`${typeName(type)} RDATA of ${size} bytes, expected ${n}`);
}

/** A name inside RDATA that must end within it; `nameEnd` is set past it. */
function nameWithin(r: Reader, at: number, end: number, type: number): string {
  const name = decodeName(r.buf, at, r.names);
  if (nameEnd > end) throw new MalformedPacketError(`${typeName(type)} name runs past its RDATA`);
  return name;
}

// Literal objects and no closures on the A/SRV/PTR paths: every resolver reply goes through them.
function readData(r: Reader, name: string, klass: number, ttl: number, type: number, start: number, end: number): ResourceRecord {
  const { buf, view } = r;
  const size = end - start;
  switch (type) {
    case RecordType.A:
      exactSize(type, size, 4);
      return { name, class: klass, ttl, type, address: `${buf[start]}.${buf[start + 1]}.${buf[start + 2]}.${buf[start + 3]}` };
    case RecordType.AAAA: {
      exactSize(type, size, 16);
      return { name, class: klass, ttl, type, address: ipv6Text(view, start) };
    }
    case RecordType.SRV: {
      if (size < 7) throw new MalformedPacketError(`SRV RDATA of ${size} bytes`);
      const target = nameWithin(r, start + 6, end, type);
      return { name, class: klass, ttl, type, priority: view.getUint16(start), weight: view.getUint16(start + 2), port: view.getUint16(start + 4), target };
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
        serial: view.getUint32(at), refresh: view.getUint32(at + 4), retry: view.getUint32(at + 8),
        expire: view.getUint32(at + 12), minimum: view.getUint32(at + 16),
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
      // Lifted into `edns` and dropped by decodeMessage: a view, not a copy.
      return { name, class: klass, ttl, type, data: buf.subarray(start, end) };
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
