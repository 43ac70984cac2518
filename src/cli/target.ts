// DOMAIN [INSTANCE], as `herald drain` and `herald resume` take them.
import { hostname } from 'node:os';
import { normalizeName } from '../dns/index.ts';
import { UsageError } from './command.ts';

/** The service domain (normalized) and the instance (default: this host's name, one DNS label). */
export function parseTarget(positionals: string[]): { domain: string; instance: string } {
  const [domain, instance, ...rest] = positionals;
  if (!domain) throw new UsageError('DOMAIN is required');
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  let name: string;
  try {
    name = normalizeName(domain);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const inst = instance ?? hostname();
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(inst)) throw new UsageError(`INSTANCE must be one DNS label, got "${inst}"`);
  return { domain: name, instance: inst };
}
