import { normalizeName } from '../dns/index.ts';
import { InvalidRecordError } from './errors.ts';
import { pathToDomain } from './path.ts';
import { parseRecord } from './records.ts';

/** Why a node cannot be served. */
export type RejectReason = 'json' | 'field' | 'address' | 'ports' | 'name';
export const REJECT_REASONS: readonly RejectReason[] = ['json', 'field', 'address', 'ports', 'name'];

/**
 * A znode a DNS server skips: it costs only itself (a service answers
 * without that member; the name itself is not held, or SERVFAIL when only
 * its record is bad). `herald why` and the server's metrics show these.
 */
export interface Rejection {
  path: string;
  /** The DNS name the node stands for, in the node's own spelling. */
  name: string;
  reason: RejectReason;
  message: string;
}

/** Why a DNS name cannot be served (a label over 63 bytes, odd bytes, over 253 characters), or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  try {
    normalizeName(name);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The reason a record failed to parse, from the field `parseRecord` named. */
export function recordRejectReason(err: unknown): RejectReason {
  if (!(err instanceof InvalidRecordError)) return 'json';
  const field = err.field;
  if (field === '(json)' || field === '(record)' || field === 'type') return 'json';
  if (/address|primary/.test(field)) return 'address';
  if (/\.ports(\[|$)/.test(field)) return 'ports';
  return 'field';
}

/**
 * Why `herald serve` skips the node at `path` holding `data`, or undefined
 * when it serves it: the same verdict the server's zone reaches, for readers
 * such as `herald why`.
 */
export function nodeRejection(path: string, data: string): Rejection | undefined {
  const name = pathToDomain(path);
  const problem = nameProblem(name);
  if (problem !== undefined) return { path, name, reason: 'name', message: problem };
  try {
    parseRecord(data);
    return undefined;
  } catch (err) {
    return { path, name, reason: recordRejectReason(err), message: (err as Error).message };
  }
}
