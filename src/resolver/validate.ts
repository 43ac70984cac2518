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
