// The package as a user gets it: `npm pack` of this checkout, installed with
// `npm install --omit=dev` into a fresh project in a temporary directory.
// Each test file packs once; installs reuse the npm cache.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };

/** The lowest Node `engines` admits (`>=22.19` → `22.19.0`). */
export const LOWEST_NODE = (() => {
  const m = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(pkg.engines.node);
  if (!m) throw new Error(`engines.node: expected ">=X.Y", got ${pkg.engines.node}`);
  return `${m[1]}.${m[2]}.${m[3] ?? 0}`;
})();

/**
 * This environment without what tap adds for its own children (TAP_*
 * settings): a user's shell does not have them.
 */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_OPTIONS' && !/^_?TAP/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/**
 * `command args` as a user's shell would start it: tap wraps child_process
 * to put its loaders in every child's NODE_OPTIONS (tsc fails under them,
 * and an older Node should not load them), so the child goes through
 * `env -u NODE_OPTIONS`.
 */
export function userSpawn(command: string, args: string[], options: SpawnOptions): ChildProcess {
  return spawn('env', ['-u', 'NODE_OPTIONS', command, ...args], options);
}

export interface Consumer {
  /** The temporary project. */
  dir: string;
  tarball: string;
  tarballBytes: number;
  /** The tarball's file list, without the leading `package/`. */
  files: string[];
  remove(): Promise<void>;
}

/** `npm <args>` in `cwd` with npm's own Node (the one running the tests), failing with npm's output. */
export async function npm(cwd: string, args: string[], timeoutMs = 180_000): Promise<string> {
  try {
    const { stdout } = await run('env', ['-u', 'NODE_OPTIONS', 'npm', ...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd, env: userEnv(), timeout: timeoutMs, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Packs the checkout and installs the tarball, runtime dependencies only, into a new project. */
export async function installedPackage(): Promise<Consumer> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-consumer-'));
  const packed = JSON.parse(await npm(ROOT, ['pack', '--json', '--pack-destination', dir])) as { filename: string; files: { path: string }[] }[];
  const tarball = join(dir, packed[0]!.filename);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  await npm(dir, ['install', '--omit=dev', `./${packed[0]!.filename}`]);
  return {
    dir, tarball, tarballBytes: (await stat(tarball)).size, files: packed[0]!.files.map((f) => f.path),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Installs Node `version` (the npm `node` package) into a project of its own; resolves to its `node` binary. */
export async function installNode(version: string): Promise<{ node: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `herald-node-${version}-`));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'node-runtime', version: '1.0.0', private: true }));
  await npm(dir, ['install', `node@${version}`]);
  return { node: join(dir, 'node_modules/.bin/node'), remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface Ran { code: number | null; stdout: string; stderr: string }

/** Runs `command args` in `cwd` to the end (killed after `timeoutMs`). */
export function runTo(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv(), timeoutMs = 30_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = userSpawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

export const packageVersion = pkg.version;
