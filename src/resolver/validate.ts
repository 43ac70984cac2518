import { isType, RecordType, typeName, type Message, type ResourceRecord } from '../dns/index.ts';
import type { EncodedQuestion } from './question.ts';

/**
 * True when `reply` is a response (QR set, standard query) carrying exactly
 * our one question. Bytes are compared directly, ASCII letters without case
 * (a server may echo 0x20-randomised case differently).
 */
export function sameQuestion(reply: Uint8Array, q: EncodedQuestion): boolean {
  if (reply.length < q.questionEnd) return false;
  if ((reply[2]! & 0xf8) !== 0x80) return false; // QR=1, opcode QUERY
  if (reply[4] !== 0 || reply[5] !== 1) return false; // QDCOUNT = 1
  const wire = q.wire;
  const nameEnd = q.questionEnd - 4;
  for (let i = 12; i < nameEnd; i++) {
    const a = reply[i]!;
    // Our name is lower case; an upper-case ASCII letter in the reply also matches.
    if (a !== wire[i] && !(a >= 0x41 && a <= 0x5a && (a | 0x20) === wire[i])) return false;
  }
  for (let i = nameEnd; i < q.questionEnd; i++) if (reply[i] !== wire[i]) return false;
  return true;
}

/**
 * Why a decoded reply to `q` cannot be trusted, or undefined when it can.
 * Every answer must be owned by the name asked (case-blind) or by a name a
 * CNAME in the answer leads to (or be a DNAME above one of them); an SOA or
 * NS in the authority section must own the name asked or one of its
 * ancestors. Additional records are not checked here: the Resolver takes
 * addresses only for the SRV targets it was given.
 */
export function untrustedReason(message: Message, q: EncodedQuestion): string | undefined {
  const answers = message.answers;
  // The common case, one pass and no allocation: every answer owned by the name asked.
  let plain = true;
  for (let i = 0; i < answers.length; i++) {
    const r = answers[i]!;
    if (r.type === RecordType.CNAME || r.type === RecordType.DNAME || !sameName(r.name, q.name)) { plain = false; break; }
  }
  const chain = plain ? [q.name] : cnameChain(answers, q.name);
  if (!plain) {
    for (const r of answers) {
      const owner = r.name.toLowerCase();
      if (chain.includes(owner)) continue;
      if (r.type === RecordType.DNAME && chain.some((n) => isBelow(n, owner))) continue;
      return `an answer for ${owner || '.'} to a question for ${q.name || '.'}`;
    }
  }
  for (const r of message.authorities) {
    if (r.type !== RecordType.SOA && r.type !== RecordType.NS) continue;
    const owner = r.name.toLowerCase();
    if (!chain.some((n) => n === owner || isBelow(n, owner))) return `${typeName(r.type)} for ${owner || '.'} in the authority section of a reply for ${q.name || '.'}`;
  }
  return undefined;
}

/** The name asked and every name the answer's CNAMEs lead to from it, lower case. */
function cnameChain(answers: readonly ResourceRecord[], name: string): string[] {
  const chain = [name];
  // Followed to a fixed point, so that a chain listed out of order still holds.
  for (let grown = true; grown;) {
    grown = false;
    for (const r of answers) {
      if (!isType(r, RecordType.CNAME)) continue;
      const target = r.target.toLowerCase();
      if (chain.includes(r.name.toLowerCase()) && !chain.includes(target)) { chain.push(target); grown = true; }
    }
  }
  return chain;
}

function sameName(owner: string, lower: string): boolean {
  return owner === lower || (owner.length === lower.length && owner.toLowerCase() === lower);
}

/** True when `name` is strictly below `ancestor` (the root is above everything). */
function isBelow(name: string, ancestor: string): boolean {
  return ancestor === '' ? name !== '' : name.endsWith('.' + ancestor);
}
