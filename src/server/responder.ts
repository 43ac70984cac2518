// Imported, not the globals: Node 24's global `performance` is an accessor, a getter call at every use.
import { performance } from 'node:perf_hooks';
import { decodeMessage, encodeMessage, emptyMessage, normalizeName, CLASS_IN, Rcode } from '../dns/index.ts';
// The registry's pure leaves, not its index: this runs in every UDP worker thread, which must not load the ZooKeeper client.
import { REJECT_REASONS, type Rejection, type RejectReason } from '../registry/rejection.ts';
import type { Snapshot, SnapshotDelta } from '../registry/index.ts';
import { answer } from './answer.ts';
import { answerSubject, changedSubjects } from './answer-subject.ts';
import { AnswerCache } from './answer-cache.ts';
import { newQueryView, plainNameEnd, questionName, readQuery, type QueryView } from './query.ts';
import { answerKey } from './rrl.ts';
import { capTtls } from './ttl-cap.ts';
import { bareReply, encodeAnswer, finish, MAX_UDP, sizeLimit, type WireAnswer } from './response.ts';
import { newStats, observeAnswer, type ServerStats } from './stats.ts';
import { buildZone, newRejections, rejectedList, type Zone } from './zone.ts';
import { updateZone } from './zone-update.ts';

/** A query larger than this is not a query Herald serves. */
export const MAX_QUERY = 4096;

/**
 * Turns query packets into reply packets from the current zone: the part of
 * the server with no sockets, one per thread. Replies are cached as wire
 * bytes per (qtype, lower-cased name). A zone change drops only the answers
 * it could have changed (answer-subject.ts); a whole new zone, new TTL
 * overrides or `maxCacheEntries` answers held start the cache over.
 */
export class Responder {
  readonly #stats: ServerStats = newStats();
  readonly #domain: string;
  #zone: Zone | undefined;
  /** Herald's TTL overrides: domain → most seconds any answer at or under it carries. */
  #ttlCaps: ReadonlyMap<string, number> = new Map();
  readonly #cache: AnswerCache;
  /** Filled by `readQuery` for each packet (one thread, one packet at a time). */
  readonly #view = newQueryView();
  #tick = 0;
  /** The name hash, type and rcode of the reply `handle` last returned, `#keyHash` -1 when it did not key it: RRL's `answerKey` is made of them only when asked (RRL on). */
  #keyHash = -1;
  #keyType = 0;
  #keyRcode = 0;
  #rejected: readonly Rejection[] | undefined;
  readonly #onReject: ((r: Rejection) => void) | undefined;
  /** Nodes rejected since start, by reason: each (path, data) counted once. */
  readonly rejectedTotal: Record<RejectReason, number> = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;

  constructor(domain: string, maxCacheEntries: number, onReject?: (r: Rejection) => void) {
    this.#domain = domain;
    this.#cache = new AnswerCache(maxCacheEntries, this.#stats);
    this.#onReject = onReject;
  }

  /** RRL's `answerKey` of the reply `handle` last returned, -1 when it did not key it (the gate reads it off the reply then). */
  get answerKey(): number {
    return this.#keyHash < 0 ? -1 : answerKey(this.#keyHash, this.#keyType, CLASS_IN, this.#keyRcode);
  }

  /** This thread's counters, current: cache hits are counted on their entries and added here when read (answer-cache.ts). Always the same object. */
  get stats(): ServerStats {
    this.#cache.countHits();
    return this.#stats;
  }

  get ready(): boolean { return this.#zone !== undefined; }
  get zoneSize(): number { return this.#zone?.names.size ?? 0; }
  /** The nodes of the current zone that cannot be served. */
  get rejected(): readonly Rejection[] {
    if (!this.#zone) return [];
    return (this.#rejected ??= rejectedList(this.#zone));
  }

  /** A whole new zone from a full copy (the first sync): O(nodes); the cache starts over. */
  setSnapshot(snapshot: Snapshot): void {
    const previous = this.#zone;
    this.#zone = buildZone(snapshot, this.#domain);
    this.#reject(newRejections(previous, this.#zone));
    this.#cache.clear();
    this.#stats.zoneChanges++;
  }

  /** One mirror step after the first sync: O(changed nodes); only the answers it may change are dropped. */
  applyDelta(delta: SnapshotDelta): void {
    if (!this.#zone) return;
    const change = updateZone(this.#zone, delta);
    this.#reject(change.rejected);
    this.#cache.dropSubjects(changedSubjects(change, this.#domain));
    this.#stats.zoneChanges++;
  }

  /** Counted and reported once per node and content, not again at every change. */
  #reject(rejections: readonly Rejection[]): void {
    this.#rejected = undefined;
    for (const r of rejections) {
      this.rejectedTotal[r.reason]++;
      this.#onReject?.(r);
    }
  }

  /** New TTL overrides: cached answers carried the old ones, so the cache starts over. */
  setTtlCaps(caps: ReadonlyMap<string, number>): void {
    this.#ttlCaps = caps;
    this.#cache.clear();
  }

  /** Answers one query packet; undefined when it gets no reply (dropped and counted). Never throws. */
  handle(msg: Buffer, tcp: boolean): Buffer | undefined {
    // herald_server_answer_seconds times one packet in 64, each thread's first among them: a clock read costs
    // ~0.08 µs on the machines measured, and timing one in 16 cost every packet ~0.03 µs of a path that answers in a few tenths.
    if ((this.#tick++ & 63) !== 0) return this.#handle(msg, tcp);
    const start = performance.now();
    const out = this.#handle(msg, tcp);
    observeAnswer(this.#stats, (performance.now() - start) * 1000);
    return out;
  }

  #handle(msg: Buffer, tcp: boolean): Buffer | undefined {
    this.#keyHash = -1;
    if (msg.length > MAX_QUERY) { this.#stats.dropped.oversized++; return undefined; }
    const view = readQuery(msg, this.#view);
    if (typeof view === 'string') { this.#stats.dropped[view]++; return undefined; }
    if (view === undefined || view.ednsUnusual || ((view.flags >> 11) & 0xf) !== 0 || view.qclass !== CLASS_IN) return this.#slow(msg, tcp);
    // A hit counts itself (its qtype, rcode and the hit) on its cache entry.
    const cached = this.#cache.get(view.words, view.nameEnd - 12, view.nameHash, view.qtype);
    if (cached === undefined) return this.#miss(msg, view, tcp);
    // A hit in lower case is the cached question byte for byte: only then is the query's name not copied in.
    return this.#reply(cached, msg, view, view.mixedCase ? view.nameEnd : 12, tcp);
  }

  /** The reply for a question not cached: worked out from the zone, and cached when it can be. Kept apart so the hit path stays short. */
  #miss(msg: Buffer, view: QueryView, tcp: boolean): Buffer | undefined {
    this.#stats.qtypes[view.qtype < 256 ? view.qtype : 0]!++;
    const questionEnd = view.nameEnd + 4;
    const zone = this.#zone;
    if (!zone) return this.#bare(msg, questionEnd, Rcode.SERVFAIL, view.ednsSize > 0);
    this.#stats.cacheMisses++;
    const name = questionName(msg, view.nameEnd);
    if (name === undefined) return this.#bare(msg, questionEnd, Rcode.REFUSED, view.ednsSize > 0);
    const a = capTtls(answer(zone, name, view.qtype), this.#ttlCaps);
    if (!a.cacheable) return this.#bare(msg, questionEnd, a.rcode, view.ednsSize > 0);
    const encoded = safeEncode(name, view.qtype, a);
    if (!encoded) return this.#bare(msg, questionEnd, Rcode.SERVFAIL, view.ednsSize > 0);
    this.#cache.set(view.nameHash, view.qtype, view.nameEnd - 12, encoded, answerSubject(view.qtype, name));
    this.#stats.rcodes[encoded.rcode]!++;
    return this.#reply(encoded, msg, view, view.nameEnd, tcp);
  }

  /** `cached` patched for this query (`finish`), its truncation counted, and keyed for RRL (its rcode is counted by the caller or the cache). */
  #reply(cached: WireAnswer, msg: Buffer, view: QueryView, nameEnd: number, tcp: boolean): Buffer {
    const out = finish(cached, msg, nameEnd, view.ednsSize, tcp);
    if ((out[2]! & 0x02) !== 0) this.#stats.truncated++;
    this.#keyHash = view.nameHash;
    this.#keyType = view.qtype;
    this.#keyRcode = cached.rcode;
    return out;
  }

  #bare(msg: Buffer, questionEnd: number, rcode: number, opt: boolean): Buffer {
    this.#stats.rcodes[rcode]!++;
    return bareReply(msg, questionEnd, rcode, opt);
  }

  /**
   * Anything unusual: several questions, compressed question, EDNS options,
   * other opcodes or classes. The question comes back as its bytes came in
   * whenever it was written plainly, so a client always matches it.
   */
  #slow(msg: Buffer, tcp: boolean): Buffer | undefined {
    let query;
    try {
      query = decodeMessage(msg);
    } catch {
      this.#stats.dropped.malformed++;
      return undefined;
    }
    if (query.qr) { this.#stats.dropped.response++; return undefined; }
    const q = query.questions[0];
    if (q) this.#stats.qtypes[q.type < 256 ? q.type : 0]!++;
    const nameEnd = query.questions.length === 1 ? plainNameEnd(msg) : undefined;
    const ednsSize = query.edns ? Math.max(512, query.edns.udpSize) : 0;
    let rcode: number | undefined;
    if (query.opcode !== 0) rcode = Rcode.NOTIMP;
    else if (query.questions.length !== 1 || !q) rcode = Rcode.FORMERR;
    else if (!this.#zone) rcode = Rcode.SERVFAIL;
    else {
      // A compressed question is answered with the plain, lower-cased one, so only in class IN.
      const name = nameEnd !== undefined ? questionName(msg, nameEnd) : q.class === CLASS_IN ? plainName(q.name) : undefined;
      if (name === undefined) rcode = Rcode.REFUSED;
      else {
        const a = capTtls(answer(this.#zone, name, q.type, q.class), this.#ttlCaps);
        const wire = safeEncode(name, q.type, a);
        if (!wire) rcode = Rcode.SERVFAIL;
        else {
          const out = finish(wire, msg, nameEnd ?? 12, ednsSize, tcp);
          if (nameEnd !== undefined) msg.copy(out, nameEnd, nameEnd, nameEnd + 4);
          this.#stats.rcodes[a.rcode]!++;
          if ((out[2]! & 0x02) !== 0) this.#stats.truncated++;
          return out;
        }
      }
    }
    if (nameEnd !== undefined) return this.#bare(msg, nameEnd + 4, rcode, ednsSize > 0);
    const reply = emptyMessage(query.id);
    reply.qr = true;
    reply.opcode = query.opcode;
    reply.rd = query.rd;
    reply.rcode = rcode;
    reply.questions = query.questions;
    if (query.edns) reply.edns = { udpSize: MAX_UDP, version: 0, dnssecOk: false };
    let out: Buffer;
    try {
      out = encodeMessage(reply);
    } catch {
      this.#stats.dropped.malformed++;
      return undefined;
    }
    if (out.length > sizeLimit(tcp, ednsSize)) {
      // Only many questions get here; over TCP too, since nothing of an answer can be cut.
      Object.assign(reply, { tc: true, questions: [] });
      out = encodeMessage(reply);
      this.#stats.truncated++;
    }
    this.#stats.rcodes[rcode & 0xf]!++;
    return out;
  }
}

/** Encodes an answer, or undefined when it cannot be (a record that slipped past intake): SERVFAIL for that name only. */
function safeEncode(name: string, type: number, a: ReturnType<typeof answer>): WireAnswer | undefined {
  try {
    return encodeAnswer(name, type, a);
  } catch {
    return undefined;
  }
}

/** A decoded question name, normalized; undefined when it cannot be a served name. */
function plainName(name: string): string | undefined {
  try {
    return normalizeName(name);
  } catch {
    return undefined;
  }
}
