import pRetry from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import { Rcode, RecordType, rcodeName, type Message, type ResourceRecord } from '../dns/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { DnsClient } from './dns-client.ts';
import { LookupFailedError, QueryTimeoutError, TransportError, UntrustedReplyError, type FailedAttempt } from './errors.ts';
import { parseNameserver, type Nameserver } from './nameserver.ts';
import { QuestionCache, toType, type EncodedQuestion } from './question.ts';
import { readResolvConf } from './resolv-conf.ts';

export interface LookupOptions {
  /**
   * Nameservers in the order to try: `ip`, `ip:port`, `[ipv6]:port` strings
   * or parsed `Nameserver`s. @default the `nameserver` lines of /etc/resolv.conf
   */
  nameservers?: readonly (string | Nameserver)[];
  /** Per-query timeout. @default 2000 */
  timeoutMs?: number;
  /** Rounds over the nameserver list (with backoff between them). @default 2 */
  tries?: number;
  /** First backoff between rounds, doubled each round (with jitter). @default 100 */
  backoffMs?: number;
  /** Ask over TCP from the start. @default false */
  tcp?: boolean;
  /** Stops waiting and retrying. */
  signal?: AbortSignal;
  /** The transport to use. @default a shared client whose idle sockets never hold the process */
  client?: DnsClient;
}

/** A reply from one nameserver. */
export interface LookupResult {
  /** The name asked for, normalized (lower case, no trailing dot). */
  name: string;
  type: number;
  /** `ip:port` of the nameserver that answered. */
  nameserver: string;
  rcode: number;
  /** `NOERROR`, `NXDOMAIN`, ... */
  status: string;
  answers: readonly ResourceRecord[];
  authorities: readonly ResourceRecord[];
  additionals: readonly ResourceRecord[];
  /** Negative-caching time from the authority SOA: min(SOA TTL, SOA minimum), when present. */
  negativeTtl: number | undefined;
  message: Message;
  size: number;
  tcp: boolean;
  elapsedMs: number;
}

/** One nameserver's outcome in an `{ all: true }` lookup: a reply (any rcode) or an error. */
export type NameserverOutcome =
  | { nameserver: string; result: LookupResult; error?: undefined }
  | { nameserver: string; result?: undefined; error: Error };

const questions = new QuestionCache();
const parsed = new Map<string, Nameserver>();
let sharedClient: DnsClient | undefined;
let resolvConf: { at: number; list: Promise<Nameserver[]> } | undefined;
const RESOLV_CONF_REUSE_MS = 5000;

/** The client `lookup` uses when none is given: its sockets are unref'd while idle. */
export function defaultClient(): DnsClient {
  return (sharedClient ??= new DnsClient());
}

/**
 * One-shot query: tries each nameserver in order; REFUSED, SERVFAIL,
 * FORMERR, timeouts and socket errors move on to the next, and the whole
 * list is retried `tries` times with backoff. Resolves with the first real
 * answer (NOERROR, NXDOMAIN, NOTIMP, ...); throws `LookupFailedError` saying
 * what each nameserver did when none answered.
 */
export function lookup(name: string, type: string | number, options?: LookupOptions & { all?: false }): Promise<LookupResult>;
/** Asks every nameserver (in parallel) and resolves with each one's outcome, in list order. */
export function lookup(name: string, type: string | number, options: LookupOptions & { all: true }): Promise<NameserverOutcome[]>;
export function lookup(name: string, type: string | number, options: LookupOptions & { all?: boolean } = {}): Promise<LookupResult | NameserverOutcome[]> {
  const o = lookupOptions(options);
  const q = questions.get(name, typeof type === 'number' ? type : toType(type));
  const all = options.all === true;
  if (o.nameservers !== undefined) return all ? askEach(q, o.nameservers, o) : askInTurn(q, o.nameservers, o);
  return systemNameservers().then((list): Promise<LookupResult | NameserverOutcome[]> => (all ? askEach(q, list, o) : askInTurn(q, list, o)));
}

interface Resolved {
  nameservers: Nameserver[] | undefined;
  timeoutMs: number;
  tries: number;
  backoffMs: number;
  tcp: boolean;
  signal: AbortSignal | undefined;
  client: DnsClient;
}

function lookupOptions(options: LookupOptions): Resolved {
  const { timeoutMs = 2000, tries = 2, backoffMs = 100, tcp = false } = options;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new InvalidArgumentError('Expected `timeoutMs` to be a positive number of milliseconds.');
  if (!(Number.isInteger(tries) && tries >= 1)) throw new InvalidArgumentError('Expected `tries` to be an integer ≥ 1.');
  if (!(Number.isFinite(backoffMs) && backoffMs >= 0)) throw new InvalidArgumentError('Expected `backoffMs` to be a non-negative number of milliseconds.');
  let nameservers: Nameserver[] | undefined;
  if (options.nameservers !== undefined) {
    const list = options.nameservers;
    // One nameserver is the common case: a literal array, not a call to map (≈500 instructions per lookup).
    nameservers = list.length === 1 ? [toNameserver(list[0]!)] : list.map(toNameserver);
    if (nameservers.length === 0) throw new InvalidArgumentError('Expected `nameservers` to list at least one nameserver.');
  }
  return { nameservers, timeoutMs, tries, backoffMs, tcp, signal: options.signal, client: options.client ?? defaultClient() };
}

function toNameserver(ns: string | Nameserver): Nameserver {
  if (typeof ns !== 'string') return ns;
  let n = parsed.get(ns);
  if (n === undefined) {
    n = parseNameserver(ns);
    if (parsed.size > 1024) parsed.clear();
    parsed.set(ns, n);
  }
  return n;
}

/** resolv.conf, re-read at most every few seconds. */
export function systemNameservers(): Promise<Nameserver[]> {
  const now = Date.now();
  if (resolvConf === undefined || now - resolvConf.at > RESOLV_CONF_REUSE_MS) {
    resolvConf = { at: now, list: readResolvConf() };
    resolvConf.list.catch(() => { resolvConf = undefined; });
  }
  return resolvConf.list;
}

/**
 * The common case, one nameserver that answers, costs one promise: the
 * first query is made directly and the general path (next nameservers,
 * retries with backoff) is entered only when it fails.
 */
function askInTurn(q: EncodedQuestion, list: Nameserver[], o: Resolved): Promise<LookupResult> {
  if (o.signal?.aborted) return Promise.reject(o.signal.reason);
  const ns = list[0]!;
  return new Promise<LookupResult>((resolve, reject) => {
    o.client.ask(ns, q, o.timeoutMs, o.tcp,
      (reply) => {
        if (movesOn(reply.message.rcode)) onFirstFailure(q, list, o, rcodeFailure(ns, reply.message.rcode)).then(resolve, reject);
        else resolve(toResult(q, ns, reply));
      },
      (err) => { onFirstFailure(q, list, o, errorFailure(ns, err)).then(resolve, reject); });
  });
}

async function onFirstFailure(q: EncodedQuestion, list: Nameserver[], o: Resolved, first: FailedAttempt): Promise<LookupResult> {
  try {
    return await round(q, list, o, 1, [first]);
  } catch (err) {
    if (o.tries === 1 || !(err instanceof LookupFailedError)) throw err;
  }
  await sleep(o.backoffMs * (1 + Math.random()), undefined, o.signal ? { signal: o.signal } : {});
  return pRetry(() => round(q, list, o, 0, []), {
    retries: o.tries - 2,
    minTimeout: o.backoffMs * 2,
    factor: 2,
    randomize: true,
    ...(o.signal ? { signal: o.signal } : {}),
    shouldRetry: ({ error }) => error instanceof LookupFailedError,
  });
}

/** One pass over the nameservers from index `from`; throws `LookupFailedError` saying what each did. */
async function round(q: EncodedQuestion, list: Nameserver[], o: Resolved, from: number, attempts: FailedAttempt[]): Promise<LookupResult> {
  for (let i = from; i < list.length; i++) {
    const ns = list[i]!;
    o.signal?.throwIfAborted();
    try {
      const reply = await o.client.query(ns, q, o.timeoutMs, o.tcp);
      if (!movesOn(reply.message.rcode)) return toResult(q, ns, reply);
      attempts.push(rcodeFailure(ns, reply.message.rcode));
    } catch (err) {
      attempts.push(errorFailure(ns, err));
    }
  }
  throw new LookupFailedError(q.name, q.typeName, attempts);
}

function rcodeFailure(ns: Nameserver, rcode: number): FailedAttempt {
  return { nameserver: ns.key, reason: rcodeName(rcode) };
}

function errorFailure(ns: Nameserver, err: unknown): FailedAttempt {
  return { nameserver: ns.key, reason: failureReason(err), error: err as Error };
}

function failureReason(err: unknown): string {
  if (err instanceof QueryTimeoutError) return 'timeout';
  if (err instanceof UntrustedReplyError) return 'untrusted';
  if (err instanceof TransportError && err.errno !== undefined) return err.errno;
  return 'error';
}

/** REFUSED (binder: "not my name"), SERVFAIL and FORMERR say nothing about the name: ask the next server. */
function movesOn(rcode: number): boolean {
  return rcode === Rcode.REFUSED || rcode === Rcode.SERVFAIL || rcode === Rcode.FORMERR;
}

async function askEach(q: EncodedQuestion, list: Nameserver[], o: Resolved): Promise<NameserverOutcome[]> {
  return Promise.all(list.map(async (ns): Promise<NameserverOutcome> => {
    try {
      // Only silence and socket errors are retried: a server that refuses will refuse again.
      const reply = await pRetry(() => o.client.query(ns, q, o.timeoutMs, o.tcp), {
        retries: o.tries - 1,
        minTimeout: o.backoffMs,
        factor: 2,
        randomize: true,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      return { nameserver: ns.key, result: toResult(q, ns, reply) };
    } catch (err) {
      return { nameserver: ns.key, error: err as Error };
    }
  }));
}

function toResult(q: EncodedQuestion, ns: Nameserver, reply: { message: Message; size: number; tcp: boolean; elapsedMs: number }): LookupResult {
  const m = reply.message;
  return {
    name: q.name,
    type: q.type,
    nameserver: ns.key,
    rcode: m.rcode,
    status: rcodeName(m.rcode),
    answers: m.answers,
    authorities: m.authorities,
    additionals: m.additionals,
    negativeTtl: negativeTtl(m.authorities),
    message: m,
    size: reply.size,
    tcp: reply.tcp,
    elapsedMs: reply.elapsedMs,
  };
}

/** RFC 2308 §5: the negative TTL is the smaller of the SOA record's TTL and its minimum field. */
export function negativeTtl(authorities: readonly ResourceRecord[]): number | undefined {
  for (const r of authorities) {
    if (r.type === RecordType.SOA && 'minimum' in r) return Math.min(r.ttl, r.minimum);
  }
  return undefined;
}
