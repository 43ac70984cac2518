import { spawn } from 'node:child_process';

export interface Target {
  domain: string;
  instance: string;
  address: string | null;
}

/** Pure: CMD's arguments with `{instance}` and `{address}` filled in. */
export function substitute(argv: readonly string[], t: Target): string[] {
  return argv.map((a) => a.replaceAll('{instance}', t.instance).replaceAll('{address}', t.address ?? ''));
}

/** Pure: CMD's environment: ours plus HERALD_INSTANCE, HERALD_ADDRESS, HERALD_DOMAIN. */
export function commandEnv(env: NodeJS.ProcessEnv, t: Target): NodeJS.ProcessEnv {
  return { ...env, HERALD_INSTANCE: t.instance, HERALD_ADDRESS: t.address ?? '', HERALD_DOMAIN: t.domain };
}

/**
 * Runs the update command for one instance; resolves with why it failed, or
 * undefined when it exited 0. Its output goes to `output` (the roll's
 * stderr): the roll's stdout stays its own. Not stopped by Ctrl-C: the
 * roll stops after the current step, and this is one.
 */
export function runUpdate(argv: readonly string[], t: Target, env: NodeJS.ProcessEnv, output: NodeJS.WritableStream): Promise<string | undefined> {
  const [file, ...args] = substitute(argv, t);
  return new Promise((resolve) => {
    const child = spawn(file!, args, { env: commandEnv(env, t), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(output, { end: false });
    child.stderr.pipe(output, { end: false });
    child.once('error', (err) => resolve(`CMD could not start: ${err.message}`));
    child.once('close', (code, signal) => {
      if (code === 0) resolve(undefined);
      else resolve(signal ? `CMD was killed by ${signal}` : `CMD exited ${code}`);
    });
  });
}
