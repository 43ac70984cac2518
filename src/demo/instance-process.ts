import { spawn, type ChildProcess } from 'node:child_process';
import { childProgram } from '../entry-points.ts';

export interface InstanceProcessOptions {
  name: string;
  /** 0 picks a free port on the first start; every restart reuses the port it got. */
  port?: number;
  host?: string;
  /** Time each request takes to answer (ms). @default 5 */
  workMs?: number;
  /** Milliseconds to wait for `listening`. @default 10000 */
  startTimeoutMs?: number;
  /** Each graceful exit appends the request ids it served here (tests count server-side). */
  idsFile?: string;
}

/**
 * One demo service instance as a child process (instance-program.ts):
 * started, stopped gracefully (SIGTERM), or crashed (SIGKILL), on the same
 * port every time. The child exits if this process dies (its stdin closes),
 * and a terminal's Ctrl-C does not reach it directly (own process group).
 */
export class InstanceProcess {
  readonly name: string;
  readonly host: string;
  #port: number;
  readonly #workMs: number;
  readonly #startTimeoutMs: number;
  readonly #idsFile: string | undefined;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(options: InstanceProcessOptions) {
    this.name = options.name;
    this.host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? 0;
    this.#workMs = options.workMs ?? 5;
    this.#startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.#idsFile = options.idsFile;
  }

  get port(): number { return this.#port; }
  get pid(): number | undefined { return this.#child?.pid; }
  get running(): boolean { return this.#child !== undefined; }

  /** Starts the process and resolves once it accepts connections. */
  async start(): Promise<number> {
    if (this.#child) throw new Error(`${this.name} is already running`);
    const program = childProgram(import.meta.url, 'instance-program', [
      '--name', this.name, '--host', this.host, '--port', String(this.#port), '--work-ms', String(this.#workMs), '--watch-stdin',
      ...(this.#idsFile ? ['--ids-file', this.#idsFile] : []),
    ]);
    const child = spawn(program.command, program.args, {
      env: program.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C at the terminal reaches the parent only,
      // which stops the instances in order (load first) instead of all at once.
      detached: true,
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
      resolve();
    }));
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`${this.name} did not start within ${this.#startTimeoutMs} ms`)), this.#startTimeoutMs);
      const onData = (d: Buffer): void => {
        out += d.toString();
        const m = /listening \S+:(\d+) pid/.exec(out);
        if (m) { done(); resolve(Number(m[1])); }
      };
      const onExit = (code: number | null): void => fail(new Error(`${this.name} exited (${code}) before listening: ${stderr.trim()}`));
      const done = (): void => { clearTimeout(timer); child.stdout!.off('data', onData); child.off('exit', onExit); };
      const fail = (err: Error): void => { done(); child.kill('SIGKILL'); reject(err); };
      child.stdout!.on('data', onData);
      child.once('exit', onExit);
    });
    child.stdout!.resume();
    this.#port = port;
    return port;
  }

  /** Graceful stop: SIGTERM, requests in hand finish; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** A crash: SIGKILL, nothing finishes. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  async restart(): Promise<number> {
    await this.stop();
    return this.start();
  }
}
