// What the two bundled forms of the CLI share: the single executable
// (sea.ts) and the npm package's sidecar bundle (sidecar-bundle.ts). Both
// exist for the sidecar's footprint (issue 16): a sidecar runs in every
// zone, and a script of a few bundled modules costs it less memory than
// ~100 separate ES modules do.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, Plugin } from 'esbuild';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The dispatcher, whose `import('./<name>.ts')` of each subcommand the plugin below sees. */
export const MAIN = join(ROOT, 'src/cli/main.ts');

// node-zookeeper-client's async and underscore are replaced by the three functions of each it calls
// (sea-shims/): 0.7 MB less RSS in every process that talks to ZooKeeper.
const SHIMS = { async: join(ROOT, 'tools/sea-shims/async.ts'), underscore: join(ROOT, 'tools/sea-shims/underscore.ts') };

// Minified, with function and class names kept (keepNames sets each one's `name`, which V8's stack
// traces and error names read): V8 holds the whole script as a string in every process, a sidecar's
// too, and parses its scopes; 1.7 MB of it with only whitespace out cost a sidecar 0.9 MB more RSS than
// these 1.26 MB. (Comments out also keeps it ASCII: a few are not, which made the string two-byte.)
export const COMMON = { bundle: true, platform: 'node', target: 'node22', logLevel: 'warning', legalComments: 'none', minify: true, keepNames: true, alias: SHIMS } as const satisfies BuildOptions;

// import.meta is empty in CommonJS; the bundles never read files beside themselves (entry-points.ts), and
// the watchdog's file lookup is never reached from them (watchdog-entry.ts).
export const CJS = { ...COMMON, format: 'cjs', logOverride: { 'empty-import-meta': 'silent' } } as const satisfies BuildOptions;

// Kept in the dispatcher's script: its own helper, and the sidecar, the one subcommand that runs in
// every zone. Compiled from another file it cost 2.6 MB more RSS than from the main script (the loader
// needs the ES module machinery for a bundle's import('node:http'), and the main script has a code cache).
const KEPT = new Set(['./lean-runtime.ts', './sidecar.ts']);

/**
 * The dispatcher's `import('./<name>.ts')` of each subcommand but the
 * sidecar becomes the module `stand-in(name)` returns (JavaScript source);
 * the name of each is pushed onto `names`.
 */
export function otherCommands(standIn: (name: string) => string, names: string[] = []): Plugin {
  return {
    name: 'other-commands',
    setup(b) {
      b.onResolve({ filter: /^\.\/[a-z-]+\.ts$/ }, (args) => {
        if (args.importer !== MAIN || args.kind !== 'dynamic-import' || KEPT.has(args.path)) return undefined;
        const name = args.path.slice(2, -3);
        names.push(name);
        return { path: name, namespace: 'herald-command' };
      });
      b.onLoad({ filter: /.*/, namespace: 'herald-command' }, (args) => ({ contents: standIn(args.path), loader: 'js', resolveDir: ROOT }));
    },
  };
}

/** A bundle's third-party notices: the license of each package it carries, read from the package. */
export function thirdPartyNotices(inputs: Iterable<string>): string {
  const packages = new Set<string>();
  for (const input of inputs) {
    // esbuild's metafile input paths are relative to the working directory; a package is its node_modules folder.
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(resolve(ROOT, m[1]!));
  }
  const sections: string[] = [];
  for (const dir of [...packages].sort()) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    if (file === undefined) throw new Error(`${pkg.name}: no license file to carry into the bundle's notices`);
    sections.push(`${pkg.name}@${pkg.version} (${pkg.license ?? 'see below'})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`);
  }
  return `Third-party software in this bundle, with its license:\n\n${sections.join('\n---\n\n')}`;
}
