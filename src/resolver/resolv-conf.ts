import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { NoNameserversError } from './errors.ts';
import { DEFAULT_DNS_PORT, makeNameserver, type Nameserver } from './nameserver.ts';

export const RESOLV_CONF = '/etc/resolv.conf';

/**
 * The `nameserver` lines of a resolv.conf, in order. Lines that are not
 * addresses are skipped, as the system resolver does.
 */
export function parseResolvConf(text: string): Nameserver[] {
  const out: Nameserver[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const m = /^nameserver\s+(\S+)/.exec(line);
    if (m && isIP(m[1]!)) out.push(makeNameserver(m[1]!, DEFAULT_DNS_PORT));
  }
  return out;
}

/** Reads resolv.conf; throws `NoNameserversError` when it names none. */
export async function readResolvConf(path = RESOLV_CONF): Promise<Nameserver[]> {
  const list = parseResolvConf(await readFile(path, 'utf8'));
  if (list.length === 0) throw new NoNameserversError(path);
  return list;
}
