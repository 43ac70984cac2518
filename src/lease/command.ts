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

/** A shell's exit status for an exit: the code, or 128 + the signal number. */
export function exitStatus(exit: CommandExit, signalNumbers: Readonly<Record<string, number>>): number {
  if (exit.error) return 127;
  if (exit.code !== null) return exit.code;
  return 128 + (exit.signal ? signalNumbers[exit.signal] ?? 0 : 0);
}
