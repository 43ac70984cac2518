import { nameHash, sameWireName } from './query.ts';
import type { WireAnswer } from './response.ts';

interface Entry {
  /** The question name as answered: lower-cased, dotted. */
  readonly name: string;
  /** Its wire bytes, lower-cased: what a query's name is checked against. */
  readonly wire: Uint8Array;
  readonly qtype: number;
  readonly answer: WireAnswer;
}

/**
 * Encoded replies by (question name, qtype), looked up straight from a
 * query's bytes: the key is `wireNameHash` of the name (case folded), and a
 * hit is checked byte for byte against the entry's name, so a hash collision
 * costs a miss, never a wrong answer. No string is built per query. Holds
 * at most `maxEntries`; when full it starts over.
 */
export class AnswerCache {
  /** By name hash; one bucket holds every qtype of a name (and any names that collide). */
  #buckets = new Map<number, Entry[]>();
  #size = 0;
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number { return this.#size; }

  /** The reply cached for the question whose name is `msg[from..to]` (hash `hash`) and type `qtype`. */
  get(msg: Uint8Array, from: number, to: number, hash: number, qtype: number): WireAnswer | undefined {
    const bucket = this.#buckets.get(hash);
    if (bucket === undefined) return undefined;
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i]!;
      if (e.qtype === qtype && sameWireName(msg, from, to, e.wire)) return e.answer;
    }
    return undefined;
  }

  /** Caches `answer` for the question `get` was asked with; `name` is that name as answered (lower-cased, dotted). */
  set(msg: Uint8Array, from: number, to: number, hash: number, qtype: number, name: string, answer: WireAnswer): void {
    if (this.#size >= this.#maxEntries) this.clear();
    // A copy (Buffer#slice would be a view of the query, lower-cased in place).
    const wire = new Uint8Array(msg.subarray(from, to));
    for (let i = 0; i < wire.length; i++) if (wire[i]! >= 0x41 && wire[i]! <= 0x5a) wire[i]! |= 0x20;
    const entry: Entry = { name, wire, qtype, answer };
    const bucket = this.#buckets.get(hash);
    if (bucket === undefined) this.#buckets.set(hash, [entry]);
    else bucket.push(entry);
    this.#size++;
  }

  /** Drops every reply. */
  clear(): void {
    this.#buckets = new Map();
    this.#size = 0;
  }

  /** Drops the replies of these names (dotted, any case), every qtype: the seam for dropping only what a change touched. */
  invalidate(names: Iterable<string>): void {
    for (const asked of names) {
      const name = asked.toLowerCase().replace(/\.$/, '');
      const hash = nameHash(name);
      const bucket = this.#buckets.get(hash);
      if (bucket === undefined) continue;
      const kept = bucket.filter((e) => e.name !== name);
      this.#size -= bucket.length - kept.length;
      if (kept.length === 0) this.#buckets.delete(hash);
      else this.#buckets.set(hash, kept);
    }
  }
}
