import { Buffer } from 'node:buffer';
import { isIP } from 'node:net';
import { InvalidNameError } from './errors.ts';
import { expandIPv6 } from './name.ts';
import type { Message, ResourceRecord } from './message.ts';
import { RecordType } from './types.ts';

/**
 * Writes DNS messages. Owner names and names inside NS/CNAME/PTR/SOA are
 * compressed; SRV targets never are (RFC 2782), because resolvers such as
 * c-ares in Node 24 reject compressed SRV targets as EBADRESP.
 */
export class MessageWriter {
  #buf: Buffer;
  #offset = 0;
  #names = new Map<string, number>();
  readonly #remember: boolean;

  /**
   * `remember: false`: names written are not kept for later ones to point
   * at (nor compressed): for record bytes that are moved into a message
   * elsewhere, where offsets in this writer mean nothing.
   */
  constructor(size = 512, { remember = true }: { remember?: boolean } = {}) {
    this.#buf = Buffer.allocUnsafe(size);
    this.#remember = remember;
  }

  get length(): number {
    return this.#offset;
  }

  bytes(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#offset));
  }

  #reserve(n: number): void {
    if (this.#offset + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#offset + n));
    this.#buf.copy(next, 0, 0, this.#offset);
    this.#buf = next;
  }

  u8(v: number): void { this.#reserve(1); this.#buf[this.#offset++] = v; }
  u16(v: number): void {
    this.#reserve(2);
    const b = this.#buf;
    b[this.#offset] = v >>> 8;
    b[this.#offset + 1] = v;
    this.#offset += 2;
  }
  u32(v: number): void {
    this.#reserve(4);
    const b = this.#buf;
    const at = this.#offset;
    b[at] = v >>> 24;
    b[at + 1] = v >>> 16;
    b[at + 2] = v >>> 8;
    b[at + 3] = v;
    this.#offset = at + 4;
  }

  /** Patches a 16-bit field written earlier (counts, RDLENGTH). */
  setU16(at: number, v: number): void { this.#buf[at] = v >>> 8; this.#buf[at + 1] = v; }

  /**
   * Writes `name` (no trailing dot; '' is the root), compressing when asked.
   * Every suffix written is remembered (lower-cased) for later names to
   * point at, unless the writer remembers none. Labels are written a char
   * at a time as latin1 (the low byte), as `Buffer.from(label, 'latin1')`
   * would: a Buffer per label was most of what encoding a large service's
   * reply cost.
   */
  name(name: string, compress = true): void {
    const lower = this.#remember ? name.toLowerCase() : undefined;
    let at = 0;
    while (at < name.length) {
      if (lower !== undefined) {
        const key = at === 0 ? lower : lower.slice(at);
        if (compress) {
          const seen = this.#names.get(key);
          if (seen !== undefined) { this.u16(0xc000 | seen); return; }
        }
        if (this.#offset < 0x4000) this.#names.set(key, this.#offset);
      }
      at = this.#label(name, at);
    }
    this.u8(0);
  }

  /** Writes the label of `name` that starts at `at`; returns where the next one starts. */
  #label(name: string, at: number): number {
    let dot = name.indexOf('.', at);
    if (dot < 0) dot = name.length;
    const length = dot - at;
    if (length === 0 || length > 63) throw new InvalidNameError(name, `label "${name.slice(at, dot)}" has ${length} bytes`);
    this.#reserve(length + 1);
    const b = this.#buf;
    let o = this.#offset;
    b[o++] = length;
    for (let i = at; i < dot; i++) b[o++] = name.charCodeAt(i);
    this.#offset = o;
    return dot + 1;
  }

  record(r: ResourceRecord): void {
    this.name(r.name);
    this.#typeToRdata(r);
  }

  /**
   * A record whose owner is the name written earlier at offset `ownerAt` (a
   * compression pointer, whatever `r.name` says): with no name of its own
   * to compress, its bytes are the same wherever in a message it goes.
   */
  recordOwnedAt(r: ResourceRecord, ownerAt: number): void {
    this.u16(0xc000 | ownerAt);
    this.#typeToRdata(r);
  }

  #typeToRdata(r: ResourceRecord): void {
    this.u16(r.type);
    this.u16(r.class);
    this.u32(r.ttl);
    const lengthAt = this.#offset;
    this.u16(0);
    const start = this.#offset;
    this.#rdata(r);
    this.setU16(lengthAt, this.#offset - start);
  }

  #rdata(r: ResourceRecord): void {
    if ('data' in r) { this.#reserve(r.data.length); this.#buf.set(r.data, this.#offset); this.#offset += r.data.length; return; }
    switch (r.type) {
      case RecordType.A:
        this.#ipv4(r.address);
        return;
      case RecordType.AAAA:
        if (isIP(r.address) !== 6) throw new InvalidNameError(r.address, 'not an IPv6 address');
        for (const group of expandIPv6(r.address).split(':')) this.u16(parseInt(group, 16));
        return;
      case RecordType.SRV:
        this.u16(r.priority); this.u16(r.weight); this.u16(r.port);
        this.name(r.target, false);
        return;
      case RecordType.PTR: case RecordType.CNAME: case RecordType.NS:
        this.name(r.target);
        return;
      case RecordType.SOA:
        this.name(r.mname); this.name(r.rname);
        this.u32(r.serial); this.u32(r.refresh); this.u32(r.retry); this.u32(r.expire); this.u32(r.minimum);
        return;
      case RecordType.TXT:
        for (const text of r.texts) {
          const bytes = Buffer.from(text, 'latin1');
          this.u8(bytes.length);
          this.#reserve(bytes.length);
          bytes.copy(this.#buf, this.#offset);
          this.#offset += bytes.length;
        }
        return;
    }
  }

  /**
   * The four bytes of a dotted-quad IPv4 address, read as `isIP` accepts
   * them (decimal, 0-255, no leading zeros), without its regular expression
   * and a string per part.
   */
  #ipv4(address: string): void {
    this.#reserve(4);
    const b = this.#buf;
    let o = this.#offset;
    let i = 0;
    for (let part = 0; part < 4; part++) {
      if (part > 0) { if (address.charCodeAt(i) !== 0x2e) break; i++; }
      const start = i;
      let v = 0;
      while (i < address.length && i - start < 3) {
        const c = address.charCodeAt(i) - 0x30;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
        i++;
      }
      const digits = i - start;
      if (digits === 0 || v > 255 || (digits > 1 && address.charCodeAt(start) === 0x30)) break;
      b[o++] = v;
    }
    if (o !== this.#offset + 4 || i !== address.length) throw new InvalidNameError(address, 'not an IPv4 address');
    this.#offset = o;
  }
}

/** Encodes a whole message; `edns` becomes an OPT record in the additional section. */
export function encodeMessage(m: Message): Buffer {
  const w = new MessageWriter();
  const rcode = m.rcode & 0xf;
  w.u16(m.id);
  w.u16((m.qr ? 0x8000 : 0) | ((m.opcode & 0xf) << 11) | (m.aa ? 0x0400 : 0) | (m.tc ? 0x0200 : 0) |
    (m.rd ? 0x0100 : 0) | (m.ra ? 0x0080 : 0) | (m.ad ? 0x0020 : 0) | (m.cd ? 0x0010 : 0) | rcode);
  w.u16(m.questions.length);
  w.u16(m.answers.length);
  w.u16(m.authorities.length);
  w.u16(m.additionals.length + (m.edns ? 1 : 0));
  for (const q of m.questions) { w.name(q.name); w.u16(q.type); w.u16(q.class); }
  for (const r of m.answers) w.record(r);
  for (const r of m.authorities) w.record(r);
  for (const r of m.additionals) w.record(r);
  if (m.edns) {
    w.name('');
    w.u16(RecordType.OPT);
    w.u16(m.edns.udpSize);
    w.u32(((m.rcode >> 4) << 24) | ((m.edns.version & 0xff) << 16) | (m.edns.dnssecOk ? 0x8000 : 0));
    w.u16(0);
  }
  return w.bytes();
}

export interface QueryOptions {
  id: number;
  name: string;
  type: number;
  /** Recursion desired; binder ignores it, recursive resolvers need it. */
  rd?: boolean;
  /** Advertise this EDNS UDP payload size; omit for plain DNS. */
  udpSize?: number;
}

/** A query with one question, the message every client sends. */
export function encodeQuery(q: QueryOptions): Buffer {
  const m: Message = {
    id: q.id, qr: false, opcode: 0, aa: false, tc: false, rd: q.rd ?? true, ra: false, ad: false, cd: false,
    rcode: 0, questions: [{ name: q.name, type: q.type, class: 1 }], answers: [], authorities: [], additionals: [],
  };
  if (q.udpSize !== undefined) m.edns = { udpSize: q.udpSize, version: 0, dnssecOk: false };
  return encodeMessage(m);
}
