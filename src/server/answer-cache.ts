import { sameWireName } from './query.ts';
import type { WireAnswer } from './response.ts';

interface Entry {
  /** The question name's wire bytes in the cached reply (lower-cased): what a query's name is checked against. */
  readonly wire: Uint8Array;
  readonly qtype: number;
  readonly answer: WireAnswer;
  readonly hash: number;
  /** The next entry of the same hash (another qtype, or a colliding name): a bucket is a chain, so a lookup reads no array. */
  next: Entry | undefined;
}

/**
 * Encoded replies by (question name, qtype), looked up straight from a
 * query's bytes: the key is `wireNameHash` of the name (case folded), and a
 * hit is checked byte for byte against the entry's name, so a hash collision
 * costs a miss, never a wrong answer. No string is built per query. Each
 * reply is also filed under its subject (answer-subject.ts), so a zone
 * change drops only the replies it could have changed. Holds at most
 * `maxEntries`; when full it starts over.
 */
export class AnswerCache {
  /** By name hash, the first entry of the chain holding every qtype of a name (and any names that collide). */
  #buckets = new Map<number, Entry>();
  /** By subject: what `dropSubjects` drops. */
  #subjects = new Map<string, Entry[]>();
  #size = 0;
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number { return this.#size; }

  /** The reply cached for the question whose name is `msg[from..to]` (hash `hash`) and type `qtype`. */
  get(msg: Uint8Array, from: number, to: number, hash: number, qtype: number): WireAnswer | undefined {
    for (let e = this.#buckets.get(hash); e !== undefined; e = e.next) {
      if (e.qtype === qtype && sameWireName(msg, from, to, e.wire)) return e.answer;
    }
    return undefined;
  }

  /**
   * Caches `answer` for its question name and `qtype`: `hash` is the name's
   * `nameHash`, `wireLength` the length of its wire form. A query hits only
   * when its name is, case aside, the question the reply itself carries — so
   * a query already in lower case matches that question byte for byte, and
   * the reply needs none of the query's bytes.
   * `subject`: what the reply depends on (answer-subject.ts).
   */
  set(hash: number, qtype: number, wireLength: number, answer: WireAnswer, subject: string): void {
    if (this.#size >= this.#maxEntries) this.clear();
    const wire = new Uint8Array(answer.variants[0]!.subarray(12, 12 + wireLength));
    const entry: Entry = { wire, qtype, answer, hash, next: this.#buckets.get(hash) };
    this.#buckets.set(hash, entry);
    const filed = this.#subjects.get(subject);
    if (filed === undefined) this.#subjects.set(subject, [entry]);
    else filed.push(entry);
    this.#size++;
  }

  /** Takes `entry` out of its hash's chain; false when it was not in it. */
  #unlink(entry: Entry): boolean {
    const first = this.#buckets.get(entry.hash);
    if (first === entry) {
      if (entry.next === undefined) this.#buckets.delete(entry.hash);
      else this.#buckets.set(entry.hash, entry.next);
      return true;
    }
    for (let e = first; e !== undefined; e = e.next) {
      if (e.next === entry) { e.next = entry.next; return true; }
    }
    return false;
  }

  /** Drops every reply. */
  clear(): void {
    this.#buckets = new Map();
    this.#subjects = new Map();
    this.#size = 0;
  }

  /** Drops the replies filed under these subjects (answer-subject.ts), every qtype. */
  dropSubjects(subjects: Iterable<string>): void {
    for (const subject of subjects) {
      const filed = this.#subjects.get(subject);
      if (filed === undefined) continue;
      this.#subjects.delete(subject);
      for (const entry of filed) if (this.#unlink(entry)) this.#size--;
    }
  }
}
