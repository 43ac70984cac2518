import { RecordType } from './types.ts';

/** A question: names are as they came off the wire (case kept, no trailing dot). */
export interface Question {
  name: string;
  type: number;
  class: number;
}

interface RecordBase {
  name: string;
  class: number;
  ttl: number;
}
export interface ARecord extends RecordBase { type: typeof RecordType.A; address: string }
export interface AaaaRecord extends RecordBase { type: typeof RecordType.AAAA; address: string }
export interface SrvRecord extends RecordBase {
  type: typeof RecordType.SRV;
  priority: number;
  weight: number;
  port: number;
  target: string;
}
export interface PtrRecord extends RecordBase { type: typeof RecordType.PTR; target: string }
export interface CnameRecord extends RecordBase { type: typeof RecordType.CNAME; target: string }
export interface NsRecord extends RecordBase { type: typeof RecordType.NS; target: string }
export interface SoaRecord extends RecordBase {
  type: typeof RecordType.SOA;
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}
export interface TxtRecord extends RecordBase { type: typeof RecordType.TXT; texts: string[] }
/** Any type Herald does not interpret: its RDATA as bytes. */
export interface OpaqueRecord extends RecordBase { type: number; data: Uint8Array }

export type KnownRecord =
  | ARecord | AaaaRecord | SrvRecord | PtrRecord | CnameRecord | NsRecord | SoaRecord | TxtRecord;
export type ResourceRecord = KnownRecord | OpaqueRecord;

/** Narrows a record to the interface of its type. */
export function isType<T extends KnownRecord['type']>(
  record: ResourceRecord,
  type: T,
): record is Extract<KnownRecord, { type: T }> {
  return record.type === type && !('data' in record);
}

/** EDNS(0) pseudo-record (RFC 6891), lifted out of the additional section. */
export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
}

export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  edns?: Edns;
}

/** A message with every field at its zero value, to spread over. */
export function emptyMessage(id = 0): Message {
  return {
    id, qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false,
    rcode: 0, questions: [], answers: [], authorities: [], additionals: [],
  };
}
