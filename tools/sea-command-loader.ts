// In the single executable each `herald` subcommand but the sidecar is a
// bundle of its own, carried as an asset and compiled only when that
// subcommand runs (sea.ts). V8 holds a process's whole script as a string
// and sets up every module in it, so a sidecar in one script with the
// server, the agent and the operator view paid ~1.2 MB more RSS than in a
// script with the dispatcher only, and the executable's sidecar runs in
// every zone. A subcommand's bundle shares the dispatcher's own copy of the
// modules whose classes the dispatcher tests with instanceof (usage errors
// exit 2), through the ids in SHARED.
import { getAsset } from 'node:sea';
import { constants, runInThisContext } from 'node:vm';
import * as command from '../src/cli/command.ts';
import * as errors from '../src/errors.ts';

/** Module ids a subcommand's bundle gets from the dispatcher: the source file each stands for (sea.ts) and the dispatcher's copy. */
export const SHARED: Record<string, { file: string; module: unknown }> = {
  'herald:cli/command': { file: 'src/cli/command.ts', module: command },
  'herald:errors': { file: 'src/errors.ts', module: errors },
};

/** The asset that carries subcommand `name`'s bundle. */
export const commandAsset = (name: string): string => `command-${name}.cjs`;

/** Runs subcommand `name`'s CommonJS bundle once and returns its exports. */
export function loadCommand(name: string): unknown {
  const source = getAsset(commandAsset(name), 'utf8');
  const wrapper = runInThisContext(`(function (exports, require, module) {${source}\n})`, {
    filename: `herald:${commandAsset(name)}`,
    // import('node:http') and the like, which a bundle keeps as import().
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  }) as
    (exports: object, require: (id: string) => unknown, module: { exports: object }) => void;
  const module = { exports: {} };
  // The executable's own require loads Node's built-in modules, all a bundle needs besides SHARED.
  wrapper(module.exports, (id) => (id in SHARED ? SHARED[id]!.module : require(id)), module);
  return module.exports;
}
