import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CommandNotFoundError } from './errors.ts';

/** How a command ended: its exit code, or the signal that ended it, or why it never started. */
export interface CommandExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/**
 * Finds `command` as a shell would (a path when it has a `/`, else on
 * `PATH`), so a typo fails before the lease is queued for. Throws
 * `CommandNotFoundError`; returns the path found.
 */
export function resolveCommand(command: string, env: NodeJS.ProcessEnv = process.env): string {
  if (command === '') throw new CommandNotFoundError(command, 'empty command');
  const candidates = command.includes('/') ? [command] : (env['PATH'] ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  for (const path of candidates) {
    try {
      if (!statSync(path).isFile()) continue;
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here, or not executable
    }
  }
  throw new CommandNotFoundError(command, command.includes('/') ? 'no such executable file' : 'not found on PATH');
}

/**
 * A command started in a process group of its own, so that stopping it
 * reaches everything it started (a shell's children included).
 */
export class ChildCommand {
  readonly #child: ChildProcess;
  readonly exited: Promise<CommandExit>;
  #exit: CommandExit | undefined;

  constructor(argv: readonly string[], options: { env: NodeJS.ProcessEnv; stdio: 'inherit' | 'ignore' }) {
    const [file, ...args] = argv;
    if (file === undefined) throw new CommandNotFoundError('', 'empty command');
    this.#child = spawn(file, args, { env: options.env, stdio: options.stdio, detached: true });
    this.exited = new Promise((resolve) => {
      this.#child.once('error', (error) => { this.#exit ??= { code: null, signal: null, error }; resolve(this.#exit); });
      this.#child.once('exit', (code, signal) => { this.#exit ??= { code, signal }; resolve(this.#exit); });
    });
  }

  get pid(): number | undefined { return this.#child.pid; }

  /** True until the command has exited. */
  get running(): boolean { return this.#exit === undefined; }

  /** SIGTERM to the group, then SIGKILL after `graceMs` if it is still there. Resolves with how it ended. */
  async stop(graceMs: number): Promise<CommandExit> {
    if (this.#exit) return this.#exit;
    this.#signalGroup('SIGTERM');
    // A stopped (SIGSTOPped) group would hold the SIGTERM until continued.
    this.#signalGroup('SIGCONT');
    const timer = setTimeout(() => this.#signalGroup('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    // Whatever the command left in its group goes with it.
    this.#signalGroup('SIGKILL');
    return exit;
  }

  #signalGroup(sig: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try { process.kill(-pid, sig); } catch { /* ESRCH: gone already */ }
  }
}

/** A shell's exit status for an exit: the code, or 128 + the signal number. */
export function exitStatus(exit: CommandExit, signalNumbers: Readonly<Record<string, number>>): number {
  if (exit.error) return 127;
  if (exit.code !== null) return exit.code;
  return 128 + (exit.signal ? signalNumbers[exit.signal] ?? 0 : 0);
}
