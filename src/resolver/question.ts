import type { Buffer } from 'node:buffer';
import { encodeQuery, normalizeName, parseType, typeName } from '../dns/index.ts';
import { InvalidArgumentError } from '../errors.ts';

/** EDNS payload size Herald advertises (DNS flag day 2020: no IP fragmentation). */
export const EDNS_UDP_SIZE = 1232;
const CACHE_LIMIT = 4096;

/**
 * A question encoded once, with ID 0: each query copies `wire` and patches
 * the ID. `questionEnd` is where the question section ends in `wire`, so a
 * reply's question can be checked by comparing bytes, without decoding.
 */
export interface EncodedQuestion {
  readonly name: string;
  readonly type: number;
  readonly typeName: string;
  readonly wire: Buffer;
  readonly questionEnd: number;
  /**
   * Copies of `wire` that a query was sent in and got its reply (so no send
   * still reads them): a query takes one and patches its ID instead of
   * copying `wire` anew. At most `SPARE_QUERIES`; see `DnsClient`.
   */
  readonly spares: Buffer[];
}

/** Spare copies kept per question: enough for the queries a client has in flight for one name. */
export const SPARE_QUERIES = 8;

export function encodeQuestion(name: string, type: number): EncodedQuestion {
  const normalized = normalizeName(name);
  const wire = encodeQuery({ id: 0, name: normalized, type, rd: true, udpSize: EDNS_UDP_SIZE });
  // The OPT record (11 bytes for an empty one) follows the single question.
  return Object.freeze({ name: normalized, type, typeName: typeName(type), wire, questionEnd: wire.length - 11, spares: [] });
}

/** `SRV`, `srv`, `TYPE33` or 33 → 33; throws `InvalidArgumentError` otherwise. */
export function toType(type: string | number): number {
  const n = typeof type === 'number' ? type : parseType(type);
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 0xffff) {
    throw new InvalidArgumentError(`record type ${JSON.stringify(type)} is not a DNS type (A, AAAA, SRV, PTR, ... or 1-65535)`);
  }
  return n;
}

/**
 * Encoded questions by (type, name as given). Bounded: a caller that asks for
 * endless distinct names only costs re-encoding, never memory.
 */
export class QuestionCache {
  // Type → name → question: no key string is built per lookup.
  #byType = new Map<number, Map<string, EncodedQuestion>>();
  #size = 0;

  get(name: string, type: number): EncodedQuestion {
    let names = this.#byType.get(type);
    if (names === undefined) { names = new Map(); this.#byType.set(type, names); }
    let q = names.get(name);
    if (q === undefined) {
      q = encodeQuestion(name, type);
      if (this.#size >= CACHE_LIMIT) { this.#byType.clear(); this.#size = 0; names = new Map(); this.#byType.set(type, names); }
      names.set(name, q);
      this.#size++;
    }
    return q;
  }
}
