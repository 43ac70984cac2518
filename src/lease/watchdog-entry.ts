import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';

/** The hidden `herald` subcommand that runs the watchdog where its file is not beside this module (a bundle, a single executable). */
export const WATCHDOG_SUBCOMMAND = '__lease-watchdog';

/**
 * How to start the watchdog with `process.execPath`: its own file beside this
 * module when it is there (the checkout, an installed package: `.ts` or a
 * built `.js`, whichever this module is), else the CLI entry's hidden
 * subcommand (in a single executable the executable itself is the entry).
 */
export function watchdogArgv(): string[] {
  const here = fileURLToPath(import.meta.url);
  const file = join(dirname(here), `watchdog${extname(here)}`);
  if (existsSync(file)) return [file];
  return isSea() ? [WATCHDOG_SUBCOMMAND] : [process.argv[1]!, WATCHDOG_SUBCOMMAND];
}
