import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { CommandExit } from './command.ts';
import { watchdogArgv } from './watchdog-entry.ts';

/** Why a guarded command ended. */
export type GuardedCause =
  /** It exited by itself. */
  | 'exited'
  /** No fresh heartbeat before the deadline: the watchdog stopped it. */
  | 'deadline'
  /** `stop()`. */
  | 'stopped'
  /** The watchdog died; this process stopped the command's group itself. */
  | 'watchdog';

export interface GuardedEnd {
  cause: GuardedCause;
  /** How the command itself ended; undefined when the watchdog died (it was the command's parent). */
  exit: CommandExit | undefined;
}

export interface GuardedCommandOptions {
  argv: readonly string[];
  /** The command's environment, less what `begin()` adds. */
  env: NodeJS.ProcessEnv;
  stdio: 'inherit' | 'ignore';
}

export interface GuardedBegin {
  graceMs: number;
  /** The first heartbeat: ms the lease stays valid from now. The command starts only once the watchdog has it. */
  validMs: number;
  /** Added to the command's environment (the lease's token). */
  env: Record<string, string>;
}

/** After `stop()`, how much longer than the grace (or the validity left) the watchdog may take before this process kills the group itself. */
const BACKUP_SLACK_MS = 250;
/** The furthest deadline a heartbeat carries (about 11 days). */
const FAR_MS = 1e9;

/**
 * A command run through the lease watchdog (`watchdog.js`), a process in a
 * session of its own that kills the command's process group when heartbeats
 * stop: this process dying or freezing cannot leave the command running.
 * The watchdog starts at construction, idle, so that it can be made ready
 * while the lease is still awaited; `begin()` once the lease is held starts
 * the command. Call `beat(validMs)` whenever the lease is confirmed; `cancel()`
 * when the lease never came. When the watchdog
 * dies, this process stops the group itself (SIGTERM, SIGKILL after the
 * grace, cut to the validity left).
 */
export class GuardedCommand {
  readonly ended: Promise<GuardedEnd>;
  readonly #watchdog: ChildProcess;
  readonly #link: Socket;
  #graceMs = 0;
  #pid: number | undefined;
  #end: GuardedEnd | undefined;
  #validUntil: number;
  #backup: NodeJS.Timeout | undefined;
  #onPid: ((pid: number) => void) | undefined;

  constructor(options: GuardedCommandOptions) {
    this.#validUntil = performance.now();
    const spec = JSON.stringify({ argv: options.argv });
    const io = options.stdio;
    // A session of its own: a signal to this process's group (a terminal's ^C, kill -9 -PGID) does not reach it.
    this.#watchdog = spawn(process.execPath, [...watchdogArgv(), spec], { env: options.env, stdio: [io, io, io, 'pipe'], detached: true });
    this.#link = this.#watchdog.stdio[3] as Socket;
    this.#link.on('error', () => undefined); // its death is seen on 'close'
    let settle!: (end: GuardedEnd) => void;
    this.ended = new Promise((resolve) => { settle = resolve; });
    const done = (end: GuardedEnd): void => {
      if (this.#end) return;
      this.#end = end;
      clearTimeout(this.#backup);
      this.#link.destroy();
      settle(end);
    };
    let buffered = '';
    this.#link.setEncoding('utf8');
    this.#link.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const space = line.indexOf(' ');
        const kind = line.slice(0, space);
        const rest = line.slice(space + 1);
        try {
          if (kind === 'pid') { this.#pid = Number(rest); this.#onPid?.(this.#pid); }
          else if (kind === 'exit') {
            const m = JSON.parse(rest) as { code: number | null; signal: NodeJS.Signals | null; cause: string };
            done({ cause: m.cause === 'exited' || m.cause === 'deadline' ? m.cause : 'stopped', exit: { code: m.code, signal: m.signal } });
          } else if (kind === 'error') {
            done({ cause: 'exited', exit: { code: null, signal: null, error: new Error((JSON.parse(rest) as { message: string }).message) } });
          }
        } catch {
          // A garbled line (not from our watchdog): ignored; its exit still ends the run.
        }
      }
    });
    this.#watchdog.once('error', (error) => done({ cause: 'exited', exit: { code: null, signal: null, error } }));
    this.#watchdog.once('close', () => {
      if (this.#end) return;
      // Died without a word (kill -9): its command may run on; stop its group here.
      void this.#stopGroup().then(() => done({ cause: 'watchdog', exit: undefined }));
    });
  }

  /** True once the watchdog and its command (if any) are gone. */
  get done(): boolean { return this.#end !== undefined; }

  /** The lease is held: starts the command with `env` added, once the watchdog has this first heartbeat. */
  begin(options: GuardedBegin): void {
    this.#graceMs = options.graceMs;
    if (this.#end) return;
    this.#link.write(`start ${JSON.stringify({ graceMs: options.graceMs, env: options.env })}\n`);
    this.beat(options.validMs);
  }

  /** The lease never came: the idle watchdog exits. */
  cancel(): Promise<GuardedEnd> {
    if (!this.#end) this.#link.end();
    return this.ended;
  }

  /** The command's pid (and process group id), once the watchdog has started it. */
  get pid(): number | undefined { return this.#pid; }

  /** The watchdog's pid. */
  get watchdogPid(): number | undefined { return this.#watchdog.pid; }

  /** Calls `fn` once the command has started. */
  onStart(fn: (pid: number) => void): void {
    this.#onPid = fn;
    if (this.#pid !== undefined) fn(this.#pid);
  }

  /** The lease is valid for `validMs` from now (0 or less: stop inside the grace). */
  beat(validMs: number): void {
    if (this.#end) return;
    // A memory store's lease never times out: a deadline far off (timers overflow past 2^31 ms).
    const ms = Math.min(Math.max(0, validMs), FAR_MS);
    this.#validUntil = performance.now() + ms;
    const deadlineNs = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
    this.#link.write(`hb ${deadlineNs} ${ms.toFixed(3)}\n`);
  }

  /** Stops the command (SIGTERM, SIGKILL after the grace) and resolves once it and its group are gone. */
  stop(): Promise<GuardedEnd> {
    if (!this.#end && !this.#backup) {
      if (this.#link.writable) this.#link.write('stop\n');
      // A frozen watchdog cannot stop anything: then this process does, by
      // the lease's deadline (already passed when the lease is lost).
      const killIn = Math.max(0, Math.min(this.#graceMs, this.#validUntil - performance.now()));
      this.#backup = setTimeout(() => {
        this.#signal('SIGKILL');
        try { this.#watchdog.kill('SIGKILL'); } catch { /* gone */ }
      }, killIn + BACKUP_SLACK_MS);
    }
    return this.ended;
  }

  /** SIGTERM (and SIGCONT) to the group, SIGKILL after the grace or when the validity runs out, whichever is first. */
  async #stopGroup(): Promise<void> {
    if (this.#pid === undefined) return;
    this.#signal('SIGTERM');
    this.#signal('SIGCONT');
    const killAt = Math.min(performance.now() + this.#graceMs, this.#validUntil);
    while (this.#groupAlive() && performance.now() < killAt) await new Promise((r) => setTimeout(r, 10));
    this.#signal('SIGKILL');
  }

  #groupAlive(): boolean {
    try { process.kill(-this.#pid!, 0); return true; } catch { return false; }
  }

  #signal(sig: NodeJS.Signals): void {
    if (this.#pid === undefined) return;
    try { process.kill(-this.#pid, sig); } catch { /* gone */ }
  }
}
