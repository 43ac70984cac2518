import { isType, normalizeName, RecordType, typeName, type ResourceRecord } from '../dns/index.ts';
import { lookup, type NameserverOutcome } from '../resolver/index.ts';

/** One answer record as plain data: `data` is the RDATA as dig prints it. */
export interface AnswerRecord {
  name: string;
  type: string;
  ttl: number;
  data: string;
}

/**
 * One nameserver's reply to one question, as plain data. `status` is the
 * rcode name, or `NO ANSWER` when it did not reply (timeout, socket error).
 */
export interface NameserverReply {
  nameserver: string;
  answered: boolean;
  status: string;
  answers: AnswerRecord[];
  /** The targets' addresses from the additional section. */
  additionals: AnswerRecord[];
  /** Why it did not answer. */
  error?: string;
}

export const NO_ANSWER = 'NO ANSWER';

/**
 * A name as shown: normalized when it is one Herald accepts, else as the
 * decoder gives it (dig's presentation form, `odd\032name`), lower-cased.
 * A nameserver may answer with any name; one odd name costs nothing else.
 */
export function shownName(name: string): string {
  try {
    return normalizeName(name);
  } catch {
    return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
  }
}

export function recordData(r: ResourceRecord): string {
  if (isType(r, RecordType.A) || isType(r, RecordType.AAAA)) return r.address;
  if (isType(r, RecordType.SRV)) return `${r.priority} ${r.weight} ${r.port} ${shownName(r.target)}.`;
  if ('target' in r) return `${shownName(r.target)}.`;
  if (isType(r, RecordType.SOA)) return `${r.mname}. ${r.rname}. ${r.serial} ${r.refresh} ${r.retry} ${r.expire} ${r.minimum}`;
  return '';
}

function plain(r: ResourceRecord): AnswerRecord {
  return { name: shownName(r.name), type: typeName(r.type), ttl: r.ttl, data: recordData(r) };
}

/** A `lookup(..., { all: true })` outcome as plain data. */
export function toReply(o: NameserverOutcome): NameserverReply {
  if (!o.result) {
    const error = o.error.message;
    return { nameserver: o.nameserver, answered: false, status: NO_ANSWER, answers: [], additionals: [], error };
  }
  const r = o.result;
  return {
    nameserver: o.nameserver,
    answered: true,
    status: r.status,
    answers: r.answers.map(plain),
    additionals: r.additionals.filter((a) => a.type === RecordType.A || a.type === RecordType.AAAA).map(plain),
  };
}

/** A question asked of every nameserver. */
export interface Question {
  name: string;
  type: 'SRV' | 'A';
}

export const questionKey = (q: Question): string => `${q.type} ${shownName(q.name)}`;

/**
 * Asks every nameserver each question once (all in parallel). Never throws:
 * a silent nameserver, or a question that cannot be asked (a node name no
 * query can carry), is `NO ANSWER` for that question only.
 */
export async function askAll(questions: readonly Question[], nameservers: readonly string[], timeoutMs: number): Promise<Map<string, NameserverReply[]>> {
  const out = new Map<string, NameserverReply[]>();
  if (nameservers.length === 0) return out;
  const unique = [...new Map(questions.map((q) => [questionKey(q), q])).values()];
  await Promise.all(unique.map(async (q) => {
    let replies: NameserverReply[];
    try {
      replies = (await lookup(q.name, q.type, { nameservers, all: true, timeoutMs, tries: 1 })).map(toReply);
    } catch (err) {
      const error = (err as Error).message;
      replies = nameservers.map((nameserver) => ({ nameserver, answered: false, status: NO_ANSWER, answers: [], additionals: [], error }));
    }
    out.set(questionKey(q), replies);
  }));
  return out;
}
