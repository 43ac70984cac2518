import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HeraldError } from '../errors.ts';

/** What a subcommand writes to and reads from; the process streams in `main`. */
export interface CommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: long-running commands stop cleanly. */
  signal: AbortSignal;
}

/**
 * One `herald` subcommand, in a file of its own under src/cli. `run` returns
 * the exit code: 0 success, 1 a negative answer, 2 bad usage.
 */
export interface Command {
  summary: string;
  usage: string;
  run(argv: string[], io: CommandIO): Promise<number>;
}

/** Bad usage: printed as one line plus the usage, exit 2. */
export class UsageError extends HeraldError {
  constructor(message: string) {
    super('HERALD_USAGE', message);
  }
}

/** `parseArgs` whose complaints (unknown flag, missing value) are usage errors: exit 2 with the usage. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
