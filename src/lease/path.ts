import { InvalidArgumentError } from '../errors.ts';

/** Every lease lives under this znode, outside any DNS subtree. */
export const LEASE_ROOT = '/herald/lease';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** `lease-<random id>-<10-digit sequence>`: the id finds our own node after a lost reply. */
const CHILD = /^lease-([0-9a-f]+)-(\d{10})$/;

/** Checks a lease name: one znode segment of letters, digits, `.`, `_`, `-` (1–128, starting alphanumeric). */
export function validateLeaseName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('lease name must be a non-empty string');
  if (!NAME.test(name)) {
    throw new InvalidArgumentError(`lease name ${JSON.stringify(name)} must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
  return name;
}

/** `/herald/lease/<name>`: the persistent parent whose ephemeral-sequential children are the queue. */
export function leasePath(name: string): string {
  return `${LEASE_ROOT}/${validateLeaseName(name)}`;
}

/** The prefix handed to `createSequential` for a contender with this id. */
export function contenderPrefix(name: string, id: string): string {
  return `${leasePath(name)}/lease-${id}-`;
}

/**
 * `/herald/lease/<name>/held-<token>`: an ephemeral node the holder writes
 * once it holds (`{"instance","heldSince"}`), for `herald lease status`. Not
 * a contender: the queue ignores it, and it goes with the holder's session.
 */
export function holderNotePath(name: string, token: number): string {
  return `${leasePath(name)}/held-${token}`;
}

export interface Contender {
  /** The child's name under the lease path. */
  child: string;
  id: string;
  /** ZooKeeper's sequence: the fencing token. */
  sequence: number;
}

/** Parses one child name; undefined for anything that is not a contender. */
export function parseContender(child: string): Contender | undefined {
  const m = CHILD.exec(child);
  if (!m) return undefined;
  return { child, id: m[1]!, sequence: Number(m[2]) };
}

/** The queue in order: the holder first. Children that are not contenders are ignored. */
export function queueOrder(children: readonly string[]): Contender[] {
  return children.map(parseContender).filter((c): c is Contender => c !== undefined).sort((a, b) => a.sequence - b.sequence);
}
