import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper, { type Client, type ZkError } from 'node-zookeeper-client';
import { digestId } from '../../src/registry/credentials.ts';

/** A `user:password` file (mode 0600 unless told) with a random password the tests look for in logs and argv. */
export interface CredsFile { user: string; password: string; path: string; digest: string }

export async function credsDir(): Promise<{ dir: string; make(user: string, mode?: number, password?: string): Promise<CredsFile>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-creds-'));
  return {
    dir,
    async make(user, mode = 0o600, password = randomBytes(12).toString('hex')) {
      const path = join(dir, `${user}-${randomBytes(3).toString('hex')}.auth`);
      await writeFile(path, `${user}:${password}\n`, { mode });
      return { user, password, path, digest: digestId(user, password) };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A raw node-zookeeper-client session (an attacker's tool), optionally with a digest identity. */
export async function rawClient(connect: string, creds?: { user: string; password: string }): Promise<Client> {
  const client = zookeeper.createClient(connect, { sessionTimeout: 4000, retries: 0 });
  if (creds) client.addAuthInfo('digest', Buffer.from(`${creds.user}:${creds.password}`));
  await new Promise<void>((resolve) => { client.once('connected', () => resolve()); client.connect(); });
  return client;
}

/** The ZooKeeper error code of an operation (0 when it succeeded). */
export function outcome(op: (cb: (err: ZkError | null) => void) => void): Promise<number> {
  return new Promise((resolve) => op((err) => resolve(err ? err.code : 0)));
}

export const NO_AUTH = zookeeper.Exception.NO_AUTH;
