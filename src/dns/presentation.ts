import { Buffer } from 'node:buffer';
import { nameAt } from './decode.ts';
import { isType, type ResourceRecord } from './message.ts';
import { RecordType, typeName } from './types.ts';

/** dig's default `+split=56`: long hex and base64 fields in chunks of 56 characters. */
const SPLIT = 56;

/** A name as dig prints it: fully qualified, with the trailing dot. */
export function fqdn(name: string): string {
  return name === '' ? '.' : `${name}.`;
}

/**
 * The RDATA of a record in presentation format, as dig prints it (`+short`,
 * and the last column of its full output; BIND 9.18). Types Herald does not
 * know, and RDATA that does not parse as its type, come out in RFC 3597
 * form (`\# LENGTH HEX`), as dig prints them.
 */
export function rdataText(r: ResourceRecord): string {
  if (isType(r, RecordType.A) || isType(r, RecordType.AAAA)) return r.address;
  if (isType(r, RecordType.SRV)) return `${r.priority} ${r.weight} ${r.port} ${fqdn(r.target)}`;
  if (isType(r, RecordType.PTR) || isType(r, RecordType.CNAME) || isType(r, RecordType.NS)) return fqdn(r.target);
  if (isType(r, RecordType.SOA)) return `${fqdn(r.mname)} ${fqdn(r.rname)} ${r.serial} ${r.refresh} ${r.retry} ${r.expire} ${r.minimum}`;
  if (isType(r, RecordType.TXT)) return r.texts.map((t) => quoted(Buffer.from(t, 'latin1'))).join(' ');
  const data = 'data' in r ? r.data : new Uint8Array();
  const format = FORMATS.get(r.type);
  if (format !== undefined) {
    try {
      const rd = new Rdata(data);
      const text = format(rd);
      if (rd.at === data.length) return text;
    } catch {
      // Not what its type says: fall through to the generic form, as dig does.
    }
  }
  return unknownText(data);
}

/** RFC 3597 §5: `\# LENGTH HEX`. */
export function unknownText(data: Uint8Array): string {
  return data.length === 0 ? '\\# 0' : `\\# ${data.length} ${split(hex(data))}`;
}

/** A cursor over self-contained RDATA bytes; each read throws past the end. */
class Rdata {
  readonly bytes: Uint8Array;
  at = 0;
  constructor(bytes: Uint8Array) { this.bytes = bytes; }

  #need(n: number): number {
    if (this.at + n > this.bytes.length) throw new RangeError('RDATA cut short');
    const at = this.at;
    this.at += n;
    return at;
  }
  u8(): number { return this.bytes[this.#need(1)]!; }
  u16(): number { const at = this.#need(2); return (this.bytes[at]! << 8) | this.bytes[at + 1]!; }
  u32(): number { const at = this.#need(4); return ((this.bytes[at]! << 24) >>> 0) + ((this.bytes[at + 1]! << 16) | (this.bytes[at + 2]! << 8) | this.bytes[at + 3]!); }
  take(n: number): Uint8Array { const at = this.#need(n); return this.bytes.subarray(at, at + n); }
  rest(): Uint8Array { return this.take(this.bytes.length - this.at); }
  /** A <character-string>: one length byte, then that many bytes. */
  string(): Uint8Array { return this.take(this.u8()); }
  name(): string {
    const { name, end } = nameAt(this.bytes, this.at);
    this.at = end;
    return fqdn(name);
  }
  empty(): boolean { return this.at >= this.bytes.length; }
}

type Format = (rd: Rdata) => string;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const base64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

function split(text: string): string {
  if (text.length <= SPLIT) return text;
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += SPLIT) parts.push(text.slice(i, i + SPLIT));
  return parts.join(' ');
}

/** A quoted <character-string>: `"` and `\` escaped, bytes outside printable ASCII as `\DDD`. */
function quoted(bytes: Uint8Array): string {
  let out = '"';
  for (const c of bytes) {
    if (c === 0x22 || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c >= 0x7f) out += '\\' + String(c).padStart(3, '0');
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

/** Character-strings until the end of the RDATA (TXT, SPF). */
function strings(rd: Rdata): string {
  const parts: string[] = [];
  while (!rd.empty()) parts.push(quoted(rd.string()));
  return parts.join(' ');
}

/** RFC 4034 §4.1.2 type bitmap: the types present, by name. */
function typeBitmap(rd: Rdata): string {
  const types: string[] = [];
  while (!rd.empty()) {
    const window = rd.u8();
    const bits = rd.take(rd.u8());
    for (let i = 0; i < bits.length; i++) {
      for (let b = 0; b < 8; b++) if (bits[i]! & (0x80 >> b)) types.push(typeName(window * 256 + i * 8 + b));
    }
  }
  return types.join(' ');
}

/** YYYYMMDDHHmmSS in UTC, as RRSIG times print. */
function sigTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const SEC_ALGORITHMS = new Map<number, string>([
  [1, 'RSAMD5'], [2, 'DH'], [3, 'DSA'], [5, 'RSASHA1'], [6, 'NSEC3DSA'], [7, 'NSEC3RSASHA1'], [8, 'RSASHA256'], [10, 'RSASHA512'],
  [12, 'ECCGOST'], [13, 'ECDSAP256SHA256'], [14, 'ECDSAP384SHA384'], [15, 'ED25519'], [16, 'ED448'], [252, 'INDIRECT'], [253, 'PRIVATEDNS'], [254, 'PRIVATEOID'],
]);
const CERT_TYPES = new Map<number, string>([
  [1, 'PKIX'], [2, 'SPKI'], [3, 'PGP'], [4, 'IPKIX'], [5, 'ISPKI'], [6, 'IPGP'], [7, 'ACPKIX'], [8, 'IACPKIX'], [253, 'URI'], [254, 'OID'],
]);

/** RFC 4648 base32hex without padding (NSEC3 hashes). */
function base32hex(b: Uint8Array): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUV';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of b) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) { out += alphabet[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** RFC 1876 LOC, as BIND prints it: `52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m`. */
function loc(rd: Rdata): string {
  const version = rd.u8();
  if (version !== 0) throw new RangeError('LOC version');
  const size = rd.u8(); const hp = rd.u8(); const vp = rd.u8();
  const lat = rd.u32(); const lon = rd.u32(); const alt = rd.u32();
  const angle = (v: number, pos: string, neg: string) => {
    let d = v - 2 ** 31;
    const hemi = d < 0 ? neg : pos;
    d = Math.abs(d);
    const ms = d % 1000; d = Math.floor(d / 1000);
    const sec = d % 60; d = Math.floor(d / 60);
    const min = d % 60; d = Math.floor(d / 60);
    return `${d} ${min} ${sec}.${String(ms).padStart(3, '0')} ${hemi}`;
  };
  const precision = (p: number) => {
    const mantissa = p >> 4; const exponent = p & 0xf;
    if (mantissa > 9 || exponent > 9) throw new RangeError('LOC precision');
    const cm = mantissa * 10 ** exponent;
    // BIND: centimetres below a metre as 0.NN, whole metres without decimals.
    return cm < 100 ? `0.${String(cm).padStart(2, '0')}m` : cm % 100 === 0 ? `${cm / 100}m` : `${Math.floor(cm / 100)}.${String(cm % 100).padStart(2, '0')}m`;
  };
  const cm = alt - 10_000_000;
  const altitude = `${cm < 0 ? '-' : ''}${Math.floor(Math.abs(cm) / 100)}.${String(Math.abs(cm) % 100).padStart(2, '0')}m`;
  return `${angle(lat, 'N', 'S')} ${angle(lon, 'E', 'W')} ${altitude} ${precision(size)} ${precision(hp)} ${precision(vp)}`;
}

/** RFC 9460 SVCB/HTTPS parameters, as BIND prints them. */
function svcb(rd: Rdata): string {
  const priority = rd.u16();
  const target = rd.name();
  const params: string[] = [];
  while (!rd.empty()) {
    const key = rd.u16();
    const value = new Rdata(rd.take(rd.u16()));
    params.push(svcParam(key, value));
    if (!value.empty()) throw new RangeError('SVCB value has bytes left over');
  }
  return [String(priority), target, ...params].join(' ');
}

const SVC_KEYS = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint', 'dohpath'];

function svcParam(key: number, v: Rdata): string {
  const name = SVC_KEYS[key] ?? `key${key}`;
  switch (key) {
    case 0: { const keys: string[] = []; while (!v.empty()) { const k = v.u16(); keys.push(SVC_KEYS[k] ?? `key${k}`); } return `${name}=${keys.join(',')}`; }
    case 1: { const ids: string[] = []; while (!v.empty()) ids.push(Buffer.from(v.string()).toString('latin1').replace(/[,\\]/g, '\\\\$&')); return `${name}=${quoted(Buffer.from(ids.join(','), 'latin1'))}`; }
    case 2: return name;
    case 3: return `${name}=${v.u16()}`;
    case 4: { const a: string[] = []; while (!v.empty()) a.push([...v.take(4)].join('.')); return `${name}=${a.join(',')}`; }
    case 5: return `${name}=${base64(v.rest())}`;
    case 6: { const a: string[] = []; while (!v.empty()) a.push(ipv6(v.take(16))); return `${name}=${a.join(',')}`; }
    default: return `${name}=${quoted(v.rest())}`;
  }
}

function ipv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let best = -1; let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i; while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.map((g) => g.toString(16)).join(':');
  const head = groups.slice(0, best).map((g) => g.toString(16)).join(':');
  const tail = groups.slice(best + bestLen).map((g) => g.toString(16)).join(':');
  return `${head}::${tail}`;
}

function ipseckey(rd: Rdata): string {
  const precedence = rd.u8(); const gatewayType = rd.u8(); const algorithm = rd.u8();
  let gateway: string;
  if (gatewayType === 0) gateway = '.';
  else if (gatewayType === 1) gateway = [...rd.take(4)].join('.');
  else if (gatewayType === 2) gateway = ipv6(rd.take(16));
  else if (gatewayType === 3) gateway = rd.name();
  else throw new RangeError('IPSECKEY gateway type');
  const key = rd.rest();
  return `${precedence} ${gatewayType} ${algorithm} ${gateway}${key.length ? ' ' + split(base64(key)) : ''}`;
}

const u16Name: Format = (rd) => `${rd.u16()} ${rd.name()}`;
const nameOnly: Format = (rd) => rd.name();
const twoNames: Format = (rd) => `${rd.name()} ${rd.name()}`;
const digest: Format = (rd) => `${rd.u16()} ${rd.u8()} ${rd.u8()} ${split(hex(rd.rest()))}`;
const key: Format = (rd) => `${rd.u16()} ${rd.u8()} ${rd.u8()} ${split(base64(rd.rest()))}`;
const certUsage: Format = (rd) => `${rd.u8()} ${rd.u8()} ${rd.u8()} ${split(hex(rd.rest()))}`;
const eui = (bytes: number): Format => (rd) => [...rd.take(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('-');

const FORMATS = new Map<number, Format>([
  [RecordType.MX, u16Name], [RecordType.AFSDB, u16Name], [21, u16Name], [RecordType.KX, u16Name],
  [7, nameOnly], [8, nameOnly], [9, nameOnly], [RecordType.DNAME, nameOnly],
  [14, twoNames], [RecordType.RP, twoNames],
  [RecordType.HINFO, (rd) => `${quoted(rd.string())} ${quoted(rd.string())}`],
  [RecordType.SPF, strings],
  [RecordType.NAPTR, (rd) => `${rd.u16()} ${rd.u16()} ${quoted(rd.string())} ${quoted(rd.string())} ${quoted(rd.string())} ${rd.name()}`],
  [RecordType.CAA, (rd) => `${rd.u8()} ${Buffer.from(rd.string()).toString('latin1')} ${quoted(rd.rest())}`],
  [RecordType.URI, (rd) => `${rd.u16()} ${rd.u16()} ${quoted(rd.rest())}`],
  [RecordType.DS, digest], [RecordType.CDS, digest],
  [RecordType.DNSKEY, key], [RecordType.CDNSKEY, key],
  [RecordType.SSHFP, (rd) => `${rd.u8()} ${rd.u8()} ${split(hex(rd.rest()))}`],
  [RecordType.TLSA, certUsage], [RecordType.SMIMEA, certUsage],
  [RecordType.RRSIG, (rd) => {
    const covered = typeName(rd.u16());
    const head = `${covered} ${rd.u8()} ${rd.u8()} ${rd.u32()} ${sigTime(rd.u32())} ${sigTime(rd.u32())} ${rd.u16()} ${rd.name()}`;
    return `${head} ${split(base64(rd.rest()))}`;
  }],
  [RecordType.NSEC, (rd) => { const next = rd.name(); const types = typeBitmap(rd); return types ? `${next} ${types}` : next; }],
  [RecordType.NSEC3, (rd) => {
    const head = `${rd.u8()} ${rd.u8()} ${rd.u16()}`;
    const salt = rd.string();
    const next = base32hex(rd.string());
    const types = typeBitmap(rd);
    return `${head} ${salt.length ? hex(salt) : '-'} ${next}${types ? ' ' + types : ''}`;
  }],
  [RecordType.NSEC3PARAM, (rd) => { const head = `${rd.u8()} ${rd.u8()} ${rd.u16()}`; const salt = rd.string(); return `${head} ${salt.length ? hex(salt) : '-'}`; }],
  [RecordType.CSYNC, (rd) => { const head = `${rd.u32()} ${rd.u16()}`; const types = typeBitmap(rd); return types ? `${head} ${types}` : head; }],
  [RecordType.ZONEMD, (rd) => `${rd.u32()} ${rd.u8()} ${rd.u8()} ${split(hex(rd.rest()))}`],
  [RecordType.CERT, (rd) => {
    const type = rd.u16(); const tag = rd.u16(); const alg = rd.u8();
    return `${CERT_TYPES.get(type) ?? type} ${tag} ${SEC_ALGORITHMS.get(alg) ?? alg} ${split(base64(rd.rest()))}`;
  }],
  [RecordType.IPSECKEY, ipseckey],
  [RecordType.DHCID, (rd) => split(base64(rd.rest()))],
  [RecordType.OPENPGPKEY, (rd) => split(base64(rd.rest()))],
  [RecordType.EUI48, eui(6)], [RecordType.EUI64, eui(8)],
  [RecordType.LOC, loc],
  [RecordType.SVCB, svcb], [RecordType.HTTPS, svcb],
]);
