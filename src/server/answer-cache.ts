import { foldedWords } from './query.ts';
import type { WireAnswer } from './response.ts';

/** The counters a hit adds to (`ServerStats`' fields of those names). */
export interface HitCounts { qtypes: number[]; rcodes: number[]; cacheHits: number }

/** Entries with hits not yet added to the counters, at most: past this many the cache adds them itself. */
const MAX_PENDING = 1024;

interface Entry {
  /** The question name in the cached reply (lower-cased) as `foldedWords`: what a query's name is checked against. */
  readonly words: Int32Array;
  /** Its length in bytes. */
  readonly length: number;
  readonly qtype: number;
  readonly answer: WireAnswer;
  readonly hash: number;
  /** The next entry of the same slot (another qtype, a colliding name or hash). */
  next: Entry | undefined;
  /** Hits not yet added to the counters (`countHits`). */
  hits: number;
}

/**
 * Encoded replies by (question name, qtype), looked up straight from a
 * query's bytes: the key is `nameHash` of the name (case folded), and a
 * hit is checked against the entry's name word for word (`foldedWords`,
 * which `readQuery` already made), so a hash collision costs a miss, never
 * a wrong answer. No string is built per query, and a lookup is an array
 * index (the hash's low bits), not a Map's: a slot holds a chain. Each
 * reply is also filed under its subject (answer-subject.ts), so a zone
 * change drops only the replies it could have changed. Holds at most
 * `maxEntries`; when full it starts over. A hit is counted on its entry
 * (a line the lookup has just read) and added to the counters by type,
 * rcode and hit only when they are read (`countHits`): three counters in
 * other arrays were three more lines every query touched.
 */
export class AnswerCache {
  /** By the low bits of the name hash, the first entry of a chain holding every qtype of a name (and any names whose slot is the same). */
  #slots: (Entry | undefined)[];
  readonly #mask: number;
  /** By subject: what `dropSubjects` drops. */
  #subjects = new Map<string, Entry[]>();
  #size = 0;
  readonly #maxEntries: number;
  readonly #counts: HitCounts;
  /** The entries whose `hits` are not 0 (dropped ones too, until counted). */
  #pending: Entry[] = [];

  constructor(maxEntries: number, counts: HitCounts = { qtypes: new Array<number>(256).fill(0), rcodes: new Array<number>(16).fill(0), cacheHits: 0 }) {
    this.#maxEntries = maxEntries;
    this.#counts = counts;
    // Twice as many slots as entries at the least, a power of two: chains stay a node or two long.
    let slots = 16;
    while (slots < 2 * maxEntries && slots < 1 << 20) slots *= 2;
    this.#mask = slots - 1;
    this.#slots = newSlots(slots);
  }

  get size(): number { return this.#size; }

  /** The reply cached for the question whose name is `words` (`foldedWords`, `length` bytes; hash `hash`) and type `qtype`. */
  get(words: Int32Array, length: number, hash: number, qtype: number): WireAnswer | undefined {
    for (let e = this.#slots[hash & this.#mask]; e !== undefined; e = e.next) {
      if (e.hash !== hash || e.qtype !== qtype || e.length !== length) continue;
      const w = e.words;
      let j = 0;
      while (j < w.length && w[j] === words[j]) j++;
      if (j === w.length) {
        if (e.hits++ === 0 && this.#pending.push(e) >= MAX_PENDING) this.countHits();
        return e.answer;
      }
    }
    return undefined;
  }

  /** Adds the hits counted on entries since the last call to the counters (by qtype, by rcode, hits): call before reading them. */
  countHits(): void {
    const c = this.#counts;
    for (const e of this.#pending) {
      c.qtypes[e.qtype < 256 ? e.qtype : 0]! += e.hits;
      c.rcodes[e.answer.rcode]! += e.hits;
      c.cacheHits += e.hits;
      e.hits = 0;
    }
    this.#pending = [];
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
    const slot = hash & this.#mask;
    const entry: Entry = { words: foldedWords(answer.truncated, 12, 12 + wireLength), length: wireLength, qtype, answer, hash, next: this.#slots[slot], hits: 0 };
    this.#slots[slot] = entry;
    const filed = this.#subjects.get(subject);
    if (filed === undefined) this.#subjects.set(subject, [entry]);
    else filed.push(entry);
    this.#size++;
  }

  /** Takes `entry` out of its slot's chain; false when it was not in it. */
  #unlink(entry: Entry): boolean {
    const slot = entry.hash & this.#mask;
    const first = this.#slots[slot];
    if (first === entry) {
      this.#slots[slot] = entry.next;
      return true;
    }
    for (let e = first; e !== undefined; e = e.next) {
      if (e.next === entry) { e.next = entry.next; return true; }
    }
    return false;
  }

  /** Drops every reply. */
  clear(): void {
    this.#slots = newSlots(this.#mask + 1);
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

/** Slots filled with undefined (not holes), so that a lookup reads a plain array. */
function newSlots(n: number): (Entry | undefined)[] {
  return new Array<Entry | undefined>(n).fill(undefined);
}
