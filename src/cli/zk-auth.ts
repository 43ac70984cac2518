import { CredentialsFileError, readCredentialsFile, type Credentials } from '../registry/index.ts';
import { UsageError } from './command.ts';

/**
 * The `--zk-auth FILE` flag every registry-writing command takes. Add
 * `...ZK_AUTH_OPTION` to the parseArgs options, `zkAuthUsage(column)` to the usage,
 * and pass `{ auth: await zkAuth(values['zk-auth']) }` to `openStore`.
 * The password never reaches argv, the environment, a log line or an error.
 */
export const ZK_AUTH_OPTION = { 'zk-auth': { type: 'string' } } as const;

/** The usage line, its text starting at `column` like the other flags of the command. */
export function zkAuthUsage(column: number): string {
  return `${'  --zk-auth FILE'.padEnd(column)}ZooKeeper identity: a user:password file, mode 0600 (see 'herald acl')`;
}

/** Reads the credentials file; a bad one is a usage error (exit 2). Undefined without the flag. */
export async function zkAuth(file: string | undefined): Promise<Credentials | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readCredentialsFile(file);
  } catch (err) {
    if (err instanceof CredentialsFileError) throw new UsageError(err.message);
    throw err;
  }
}

/** `{ auth }` when credentials were given, else `{}` (for exactOptionalPropertyTypes). */
export function authOption(auth: Credentials | undefined): { auth?: Credentials } {
  return auth === undefined ? {} : { auth };
}
