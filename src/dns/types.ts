/** DNS record types by their mnemonic (IANA registry): the ones Herald serves, and the ones `herald dig` names and prints. */
export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  RP: 17,
  AFSDB: 18,
  AAAA: 28,
  LOC: 29,
  SRV: 33,
  NAPTR: 35,
  KX: 36,
  CERT: 37,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  SSHFP: 44,
  IPSECKEY: 45,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  DHCID: 49,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  SMIMEA: 53,
  CDS: 59,
  CDNSKEY: 60,
  OPENPGPKEY: 61,
  CSYNC: 62,
  ZONEMD: 63,
  SVCB: 64,
  HTTPS: 65,
  SPF: 99,
  EUI48: 108,
  EUI64: 109,
  TKEY: 249,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  URI: 256,
  CAA: 257,
} as const;
export type RecordTypeName = keyof typeof RecordType;

/** Response codes (RFC 1035 §4.1.1). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;
export type RcodeName = keyof typeof Rcode;

export const CLASS_IN = 1;

const typeNames = new Map<number, string>(Object.entries(RecordType).map(([k, v]) => [v, k]));
const rcodeNames = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

/** `33` → `SRV`; unknown types as RFC 3597 `TYPE123`. */
export function typeName(type: number): string {
  return typeNames.get(type) ?? `TYPE${type}`;
}

const typeCodes = new Map<string, number>(Object.entries(RecordType));

/** `SRV`, `srv` or `TYPE33` → 33; undefined when it is not a type. */
export function parseType(text: string): number | undefined {
  // As given first: callers mostly pass the mnemonic itself ('SRV'), and upper-casing costs a new string per call.
  const exact = typeCodes.get(text);
  if (exact !== undefined) return exact;
  const upper = text.toUpperCase();
  const known = typeCodes.get(upper);
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  if (m && Number(m[1]) <= 0xffff) return Number(m[1]);
  return undefined;
}

/** `3` → `NXDOMAIN`; unknown codes as `RCODE12`. */
export function rcodeName(rcode: number): string {
  return rcodeNames.get(rcode) ?? `RCODE${rcode}`;
}
