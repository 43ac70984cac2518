// Where the code that runs in another thread or process lives. Herald runs
// three ways: from its TypeScript sources (the checkout), from the compiled
// dist/ (the npm package), and as one self-contained executable (the single
// executable application, `npm run build:sea`) where there are no files at
// all. Anything started by path goes through here.
import { getAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';

/** The environment variable that tells the single executable which child program to be. */
export const SEA_PROGRAM_ENV = 'HERALD_SEA_PROGRAM';

/** The module `name` beside `base` (an `import.meta.url`), as the caller is: `.ts` from sources, `.js` from dist/. */
export function siblingModule(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

/**
 * The script of worker thread `name`: the module beside `base`, or in the
 * single executable the bundled copy it carries as asset `name.mjs` (run
 * from a data: URL, since a worker cannot load from the executable itself).
 */
export function workerScript(base: string, name: string): URL {
  if (isSea()) return new URL(`data:text/javascript,${encodeURIComponent(getAsset(`${name}.mjs`, 'utf8'))}`);
  return siblingModule(base, name);
}

export interface ChildProgram { command: string; args: string[]; env: NodeJS.ProcessEnv }

/**
 * How to start child program `name` (a module beside `base`) with `args`:
 * `node <module> args`, or in the single executable the executable itself,
 * told by SEA_PROGRAM_ENV which program to run.
 */
export function childProgram(base: string, name: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProgram {
  if (isSea()) return { command: process.execPath, args, env: { ...env, [SEA_PROGRAM_ENV]: name } };
  return { command: process.execPath, args: [fileURLToPath(siblingModule(base, name)), ...args], env };
}
