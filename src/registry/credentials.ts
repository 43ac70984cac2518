import { Buffer } from 'node:buffer';
import { readFile, stat } from 'node:fs/promises';
import { inspect } from 'node:util';
import { HeraldError } from '../errors.ts';

/** A credentials file that cannot be used: unreadable, readable by group or others, or not `user:password`. */
export class CredentialsFileError extends HeraldError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super('HERALD_CREDENTIALS_FILE', `credentials file ${path}: ${reason}`);
    this.path = path;
  }
}

// node:crypto (~3 MB RSS) is loaded by the first hash, not by every process that reads the registry (a sidecar without auth).
const crypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto');

const USER = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * A ZooKeeper digest identity. The password is held in a private field:
 * logging, JSON or `util.inspect` of this object show the user only.
 */
export class Credentials {
  readonly user: string;
  readonly #password: string;

  constructor(user: string, password: string) {
    this.user = user;
    this.#password = password;
  }

  /** `user:password`, the bytes ZooKeeper's digest scheme takes in `addAuthInfo`. */
  authBytes(): Buffer { return Buffer.from(`${this.user}:${this.#password}`, 'utf8'); }

  /** `user:base64(sha1(user:password))`: the id of a `digest` ACL entry naming this identity. */
  get digestId(): string { return digestId(this.user, this.#password); }

  /** Whether `text` is this `user:password` (compared in constant time): the memory registry's token check. */
  matches(text: string): boolean {
    const { createHash, timingSafeEqual } = crypto();
    const a = createHash('sha256').update(this.authBytes()).digest();
    const b = createHash('sha256').update(text, 'utf8').digest();
    return timingSafeEqual(a, b);
  }

  toJSON(): { user: string } { return { user: this.user }; }
  toString(): string { return `digest:${this.user}`; }
  [inspect.custom](): string { return `Credentials { user: ${JSON.stringify(this.user)} }`; }
}

/** ZooKeeper's DigestAuthenticationProvider: `user:` + base64 of SHA-1 over `user:password`. */
export function digestId(user: string, password: string): string {
  return `${user}:${crypto().createHash('sha1').update(`${user}:${password}`, 'utf8').digest('base64')}`;
}

/** Parses `user:password` (one line; surrounding whitespace and a final newline ignored). The password is never put in an error. */
export function parseCredentials(text: string, path: string): Credentials {
  const line = text.replace(/\r?\n$/, '');
  if (line.includes('\n')) throw new CredentialsFileError(path, 'must hold one line, user:password');
  const colon = line.indexOf(':');
  if (colon < 0) throw new CredentialsFileError(path, 'must hold user:password (no ":" found)');
  const user = line.slice(0, colon).trim();
  const password = line.slice(colon + 1);
  if (!USER.test(user)) throw new CredentialsFileError(path, 'the user must be 1-64 letters, digits, ".", "_", "@" or "-"');
  if (password.length === 0) throw new CredentialsFileError(path, 'the password is empty');
  return new Credentials(user, password);
}

/**
 * Reads a `user:password` file, refusing one that group or others may read
 * or write (mode & 0o077), as ssh does with a private key.
 */
export async function readCredentialsFile(path: string): Promise<Credentials> {
  let mode: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new CredentialsFileError(path, 'is not a regular file');
    mode = st.mode & 0o777;
  } catch (err) {
    if (err instanceof CredentialsFileError) throw err;
    throw new CredentialsFileError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if ((mode & 0o077) !== 0) throw new CredentialsFileError(path, `mode ${mode.toString(8).padStart(4, '0')} lets group or others read it; chmod 600 it`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CredentialsFileError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseCredentials(text, path);
}
