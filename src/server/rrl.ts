import { Buffer } from 'node:buffer';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../errors.ts';
import { wireNameHash } from './query.ts';

/**
 * Response rate limiting, as BIND's and NSD's RRL: each (source prefix,
 * answer) pair has an account that earns `responsesPerSecond` tokens a
 * second, holding at most one second's worth; a response spends one. With
 * none left the response is limited: every `slip`-th limited response goes
 * out truncated (TC, no records), so a real client behind a spoofed flood
 * retries over TCP (never limited), and the rest are dropped. Unlike BIND,
 * a flooder's account does not go into debt: it keeps getting
 * `responsesPerSecond` full answers, so a victim's own queries still get
 * through. Pure arithmetic: the caller passes the clock.
 */
export interface RrlOptions {
  /** Full responses a second per account; 0 turns RRL off. @default 1000 */
  responsesPerSecond?: number;
  /** Every Nth limited response is sent truncated; 0 never, 1 always. @default 2 */
  slip?: number;
  /** Seconds an idle account is kept, and the least interval between two log lines about one prefix. @default 15 */
  windowSeconds?: number;
  /** @default 24 */
  ipv4PrefixLength?: number;
  /** @default 56 */
  ipv6PrefixLength?: number;
  /** Accounts held before idle ones are swept (and, if still full, all). @default 100000 */
  maxAccounts?: number;
}

export type RrlVerdict = 'send' | 'slip' | 'drop';

export const RRL_DEFAULTS = { responsesPerSecond: 1000, slip: 2, windowSeconds: 15, ipv4PrefixLength: 24, ipv6PrefixLength: 56, maxAccounts: 100_000 } as const;

interface Account { tokens: number; at: number; limited: number }

/**
 * A source's network (`sourcePrefix`) and its accounts, one per answer key
 * as an int32 (`key | 0`: a small integer to V8, so no number is boxed per
 * packet): every address of the network shares this object. The first
 * account is held inline and a map made only for a second: a spoofed flood
 * from many networks makes many prefixes of one answer each, and a map
 * apiece held 45 MB a thread at 99k of them, against 28 MB inline.
 */
export interface SourcePrefix {
  readonly prefix: string;
  firstKey: number;
  first: Account | undefined;
  rest: Map<number, Account> | undefined;
}

function accountOf(p: SourcePrefix, key: number): Account | undefined {
  return p.first !== undefined && p.firstKey === key ? p.first : p.rest?.get(key);
}

/** `key` has no account in `p` (`accountOf`). */
function addAccount(p: SourcePrefix, key: number, account: Account): void {
  if (p.first === undefined) { p.first = account; p.firstKey = key; } else (p.rest ??= new Map()).set(key, account);
}

/** Forgets the accounts of `p` idle since before `idle`; how many are left. */
function sweepPrefix(p: SourcePrefix, idle: number): number {
  if (p.first !== undefined && p.first.at < idle) p.first = undefined;
  if (p.rest !== undefined) {
    for (const [k, a] of p.rest) if (a.at < idle) p.rest.delete(k);
    if (p.rest.size === 0) p.rest = undefined;
  }
  return (p.first === undefined ? 0 : 1) + (p.rest?.size ?? 0);
}

function int(value: number | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(`RRL \`${name}\` must be an integer ${min}..${max}, got ${value}`);
  return value;
}

/** Validated options with defaults; `responsesPerSecond: 0` means off. */
export function rrlSettings(options: RrlOptions = {}): Required<RrlOptions> {
  return {
    responsesPerSecond: int(options.responsesPerSecond, 'responsesPerSecond', 0, 1_000_000, RRL_DEFAULTS.responsesPerSecond),
    slip: int(options.slip, 'slip', 0, 10, RRL_DEFAULTS.slip),
    windowSeconds: int(options.windowSeconds, 'windowSeconds', 1, 3600, RRL_DEFAULTS.windowSeconds),
    ipv4PrefixLength: int(options.ipv4PrefixLength, 'ipv4PrefixLength', 8, 32, RRL_DEFAULTS.ipv4PrefixLength),
    ipv6PrefixLength: int(options.ipv6PrefixLength, 'ipv6PrefixLength', 16, 128, RRL_DEFAULTS.ipv6PrefixLength),
    maxAccounts: int(options.maxAccounts, 'maxAccounts', 16, 10_000_000, RRL_DEFAULTS.maxAccounts),
  };
}

/** `10.1.2.0/24`, `2001:db8:0:100::/56`: the source's network at the given prefix length. */
export function sourcePrefix(address: string, v4: number, v6: number): string {
  if (isIP(address) === 4) {
    const n = address.split('.').reduce((a, p) => a * 256 + Number(p), 0);
    const masked = v4 === 0 ? 0 : Math.floor(n / 2 ** (32 - v4)) * 2 ** (32 - v4);
    return `${[24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join('.')}/${v4}`;
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return sourcePrefix(mapped[1]!, v4, v6);
  const groups = expand6(address);
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, v6 - i * 16));
    out.push(bits === 0 ? 0 : groups[i]! & ((0xffff << (16 - bits)) & 0xffff));
  }
  return `${out.map((g) => g.toString(16)).join(':')}/${v6}`;
}

function expand6(address: string): number[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16) || 0);
}

/**
 * The accounts. `check` is called once per UDP response with the source
 * address and a key naming the answer (question and rcode).
 */
export class ResponseRateLimiter {
  readonly settings: Required<RrlOptions>;
  /** By network; an account lives in its prefix. */
  readonly #byPrefix = new Map<string, SourcePrefix>();
  /** By source address, a cache of `sourcePrefix`: cleared when full, or when a sweep forgets a prefix. */
  readonly #byAddress = new Map<string, SourcePrefix>();
  #accountCount = 0;
  /** The last address looked up and its prefix: a burst from one client costs a string comparison, not a Map lookup. */
  #lastAddress = '';
  #lastPrefix: SourcePrefix | undefined;

  constructor(options: RrlOptions = {}) {
    this.settings = rrlSettings(options);
    if (this.settings.responsesPerSecond === 0) throw new InvalidArgumentError('RRL with responsesPerSecond 0 is off: do not make a limiter');
  }

  get accounts(): number { return this.#accountCount; }

  /** The source's prefix, one object per network (memoised: a flood comes from few addresses); `nowMs` for a sweep, if one is due. */
  prefixOf(address: string, nowMs: number): SourcePrefix {
    if (address === this.#lastAddress && this.#lastPrefix !== undefined) return this.#lastPrefix;
    let p = this.#byAddress.get(address);
    if (p === undefined) {
      if (this.#byAddress.size >= this.settings.maxAccounts) this.#byAddress.clear();
      const prefix = sourcePrefix(address, this.settings.ipv4PrefixLength, this.settings.ipv6PrefixLength);
      p = this.#byPrefix.get(prefix);
      if (p === undefined) {
        if (this.#byPrefix.size >= this.settings.maxAccounts) this.#sweep(nowMs);
        p = { prefix, firstKey: 0, first: undefined, rest: undefined };
        this.#byPrefix.set(prefix, p);
      }
      this.#byAddress.set(address, p);
    }
    this.#lastAddress = address;
    this.#lastPrefix = p;
    return p;
  }

  /** `source` from `prefixOf` (at the same `nowMs`), `answer` from `answerKey`. */
  check(source: SourcePrefix, answer: number, nowMs: number): RrlVerdict {
    const rate = this.settings.responsesPerSecond;
    const key = answer | 0;
    let a = accountOf(source, key);
    if (!a) {
      if (this.#accountCount >= this.settings.maxAccounts) this.#sweep(nowMs, source);
      a = { tokens: rate, at: nowMs, limited: 0 };
      addAccount(source, key, a);
      this.#accountCount++;
    } else if (nowMs > a.at) {
      a.tokens = Math.min(rate, a.tokens + ((nowMs - a.at) * rate) / 1000);
      a.at = nowMs;
    }
    if (a.tokens >= 1) { a.tokens -= 1; return 'send'; }
    const slip = this.settings.slip;
    a.limited++;
    return slip > 0 && a.limited % slip === 0 ? 'slip' : 'drop';
  }

  /**
   * Forgets accounts idle for a window (they are full again anyway) and the
   * prefixes left with none; if that freed nothing, everything. A forgotten
   * prefix must not stay reachable by address, or one network would get a
   * second object and twice the limit: the address cache goes too. `inUse`,
   * the prefix a caller is about to add an account to, stays known.
   */
  #sweep(nowMs: number, inUse?: SourcePrefix): void {
    const idle = nowMs - this.settings.windowSeconds * 1000;
    let count = 0;
    for (const [name, p] of this.#byPrefix) {
      const left = sweepPrefix(p, idle);
      if (left === 0) this.#byPrefix.delete(name);
      count += left;
    }
    if (count >= this.settings.maxAccounts || this.#byPrefix.size >= this.settings.maxAccounts) {
      for (const p of this.#byPrefix.values()) sweepPrefix(p, Number.POSITIVE_INFINITY);
      this.#byPrefix.clear();
      count = 0;
    }
    this.#accountCount = count;
    if (inUse !== undefined) this.#byPrefix.set(inUse.prefix, inUse);
    this.#byAddress.clear();
    this.#lastAddress = '';
    this.#lastPrefix = undefined;
  }
}

/** Says yes at most once per key per `intervalMs`: the "one log line per prefix per window" rule. */
export class OncePer {
  readonly #intervalMs: number;
  readonly #last = new Map<string, number>();
  constructor(intervalMs: number) { this.#intervalMs = intervalMs; }
  take(key: string, nowMs: number): boolean {
    const last = this.#last.get(key);
    if (last !== undefined && nowMs - last < this.#intervalMs) return false;
    if (this.#last.size >= 10_000) for (const [k, t] of this.#last) if (nowMs - t >= this.#intervalMs) this.#last.delete(k);
    this.#last.set(key, nowMs);
    return true;
  }
}

/**
 * The answer's key: a 32-bit hash of the question's name (`nameHash`: case
 * folded, so 0x20 case games open no new accounts), type and class, and the
 * reply's rcode; two answers that collide share an account. The responder
 * computes it from what it read of the query (`Responder.answerKey`), the
 * gate from the reply (`answerHash`) for replies the responder did not key:
 * the same key either way, so no answer has two accounts.
 */
export function answerKey(nameHash: number, qtype: number, qclass: number, rcode: number): number {
  return Math.imul(Math.imul(Math.imul(nameHash ^ qtype, 0x01000193) ^ qclass, 0x01000193) ^ (rcode & 0xf), 0x01000193) >>> 0;
}

/** `answerKey` of a reply whose only question ends at `end` (from `questionEnd`). */
export function answerHash(reply: Buffer, end: number): number {
  return answerKey(wireNameHash(reply, 12, end - 4), (reply[end - 4]! << 8) | reply[end - 3]!, (reply[end - 2]! << 8) | reply[end - 1]!, reply[3]!);
}

/** Offset just past the only question (uncompressed name + type + class), or undefined. */
export function questionEnd(packet: Buffer): number | undefined {
  if (packet.length < 17 || packet[4] !== 0 || packet[5] !== 1) return undefined;
  let i = 12;
  while (i < packet.length) {
    const len = packet[i]!;
    if (len === 0) return i + 5 <= packet.length ? i + 5 : undefined;
    if (len >= 64) return undefined;
    i += len + 1;
  }
  return undefined;
}

/** The slipped reply: header and question of `reply`, TC set, no records. */
export function slipReply(reply: Buffer, end: number): Buffer {
  const out = Buffer.from(reply.subarray(0, end));
  out[2] = out[2]! | 0x02;
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}
