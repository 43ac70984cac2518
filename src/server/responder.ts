import { decodeMessage, nameAt } from '../dns/decode.ts';
import { encodeMessage } from '../dns/encode.ts';
import { emptyMessage } from '../dns/message.ts';
import { normalizeName } from '../dns/name.ts';
import { Rcode } from '../dns/types.ts';
import type { Snapshot } from '../registry/store.ts';
import { answer } from './answer.ts';
import { capTtls } from './ttl-cap.ts';
import { readQuery } from './query.ts';
import { bareReply, encodeAnswer, finish, MAX_UDP, sizeLimit, type WireAnswer } from './response.ts';
import { newStats, observeAnswer, type ServerStats } from './stats.ts';
import { buildZone, type Zone } from './zone.ts';

/** A query larger than this is not a query Herald serves. */
export const MAX_QUERY = 4096;

/**
 * Turns query packets into reply packets from the current zone: the part of
 * the server with no sockets, one per thread. Replies are cached as wire
 * bytes per (qtype, lower-cased name); the cache starts over on every zone
 * change and when it holds `maxCacheEntries`.
 */
export class Responder {
  readonly stats: ServerStats = newStats();
  readonly #domain: string;
  readonly #maxCache: number;
  #zone: Zone | undefined;
  /** Herald's TTL overrides: domain → most seconds any answer at or under it carries. */
  #ttlCaps: ReadonlyMap<string, number> = new Map();
  #cache = new Map<number, Map<string, WireAnswer>>();
  #cacheSize = 0;
  #tick = 0;

  constructor(domain: string, maxCacheEntries: number) {
    this.#domain = domain;
    this.#maxCache = maxCacheEntries;
  }

  get ready(): boolean { return this.#zone !== undefined; }
  get zoneSize(): number { return this.#zone?.names.size ?? 0; }

  setSnapshot(snapshot: Snapshot): void {
    this.#zone = buildZone(snapshot, this.#domain, this.#zone);
    this.#cache = new Map();
    this.#cacheSize = 0;
    this.stats.zoneChanges++;
  }

  /** New TTL overrides: cached answers carried the old ones, so the cache starts over. */
  setTtlCaps(caps: ReadonlyMap<string, number>): void {
    this.#ttlCaps = caps;
    this.#cache = new Map();
    this.#cacheSize = 0;
  }

  /** Answers one query packet; undefined when it gets no reply (dropped and counted). Never throws. */
  handle(msg: Buffer, tcp: boolean): Buffer | undefined {
    // herald_server_answer_seconds times one packet in 16: a clock read costs ~0.1 µs
    // here, too much for every packet of a path that answers in a few µs.
    if ((++this.#tick & 15) !== 0) return this.#handle(msg, tcp);
    const start = performance.now();
    const out = this.#handle(msg, tcp);
    observeAnswer(this.stats, (performance.now() - start) * 1000);
    return out;
  }

  #handle(msg: Buffer, tcp: boolean): Buffer | undefined {
    if (msg.length > MAX_QUERY) { this.stats.dropped.oversized++; return undefined; }
    const view = readQuery(msg);
    if (typeof view === 'string') { this.stats.dropped[view]++; return undefined; }
    if (view === undefined || view.ednsUnusual || ((view.flags >> 11) & 0xf) !== 0 || view.qclass !== 1) return this.#slow(msg, tcp);
    this.stats.qtypes[view.qtype < 256 ? view.qtype : 0]!++;
    const questionEnd = view.nameEnd + 4;
    const zone = this.#zone;
    if (!zone) return this.#bare(msg, questionEnd, Rcode.SERVFAIL, view.ednsSize > 0);
    let byName = this.#cache.get(view.qtype);
    let cached = byName?.get(view.key);
    if (cached) {
      this.stats.cacheHits++;
    } else {
      this.stats.cacheMisses++;
      let name: string;
      try {
        name = normalizeName(nameAt(msg, 12).name);
      } catch {
        return this.#bare(msg, questionEnd, Rcode.REFUSED, view.ednsSize > 0);
      }
      const a = capTtls(answer(zone, name, view.qtype), this.#ttlCaps);
      if (!a.cacheable) return this.#bare(msg, questionEnd, a.rcode, view.ednsSize > 0);
      cached = encodeAnswer(name, view.qtype, a);
      if (this.#cacheSize >= this.#maxCache) { this.#cache = new Map(); this.#cacheSize = 0; byName = undefined; }
      if (!byName) { byName = new Map(); this.#cache.set(view.qtype, byName); }
      byName.set(view.key, cached);
      this.#cacheSize++;
    }
    const variants = cached.variants;
    const variant = variants.length === 1 ? variants[0]! : variants[(Math.random() * variants.length) | 0]!;
    const out = finish(variant, cached.truncated, msg, view.nameEnd, view.ednsSize, tcp);
    this.stats.rcodes[cached.rcode]!++;
    if ((out[2]! & 0x02) !== 0) this.stats.truncated++;
    return out;
  }

  #bare(msg: Buffer, questionEnd: number, rcode: number, opt: boolean): Buffer {
    this.stats.rcodes[rcode]!++;
    return bareReply(msg, questionEnd, rcode, opt);
  }

  /** Anything unusual: several questions, compressed question, EDNS options, other opcodes or classes. */
  #slow(msg: Buffer, tcp: boolean): Buffer | undefined {
    let query;
    try {
      query = decodeMessage(msg);
    } catch {
      this.stats.dropped.malformed++;
      return undefined;
    }
    if (query.qr) { this.stats.dropped.response++; return undefined; }
    const reply = emptyMessage(query.id);
    reply.qr = true;
    reply.opcode = query.opcode;
    reply.rd = query.rd;
    reply.questions = query.questions;
    if (query.edns) reply.edns = { udpSize: MAX_UDP, version: 0, dnssecOk: false };
    const q = query.questions[0];
    if (q) this.stats.qtypes[q.type < 256 ? q.type : 0]!++;
    if (query.opcode !== 0) reply.rcode = Rcode.NOTIMP;
    else if (query.questions.length !== 1 || !q) reply.rcode = Rcode.FORMERR;
    else if (!this.#zone) reply.rcode = Rcode.SERVFAIL;
    else {
      let name: string | undefined;
      try { name = normalizeName(q.name); } catch { name = undefined; }
      if (name === undefined) reply.rcode = Rcode.REFUSED;
      else {
        const a = capTtls(answer(this.#zone, name, q.type, q.class), this.#ttlCaps);
        Object.assign(reply, { rcode: a.rcode, aa: a.aa, answers: a.answers, authorities: a.authorities, additionals: a.additionals });
      }
    }
    let out: Buffer;
    try {
      out = encodeMessage(reply);
    } catch {
      this.stats.dropped.malformed++;
      return undefined;
    }
    if (out.length > sizeLimit(tcp, query.edns ? Math.max(512, query.edns.udpSize) : 0)) {
      Object.assign(reply, { tc: true, answers: [], authorities: [], additionals: [] });
      out = encodeMessage(reply);
      this.stats.truncated++;
    }
    this.stats.rcodes[reply.rcode & 0xf]!++;
    return out;
  }
}
