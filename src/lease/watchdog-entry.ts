import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';

/** The hidden `herald` subcommand that runs the watchdog where its file is not beside this module (a bundle, a single executable). */
export const WATCHDOG_SUBCOMMAND = '__lease-watchdog';

/**
 * How to start the watchdog with `process.execPath`: its own file
 * (`watchdog.js`, plain JavaScript) beside this module when it is there (the
 * checkout, an installed package, a tsc build), else the CLI entry's hidden
 * subcommand (in a single executable the executable itself is the entry).
 */
export function watchdogArgv(): string[] {
  // In the executable there is no file beside this module (and import.meta is empty in its CommonJS bundle).
  if (isSea()) return [WATCHDOG_SUBCOMMAND];
  const file = join(dirname(fileURLToPath(import.meta.url)), 'watchdog.js');
  return existsSync(file) ? [file] : [process.argv[1]!, WATCHDOG_SUBCOMMAND];
}
