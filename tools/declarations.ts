// tsc's rewriteRelativeImportExtensions rewrites `./x.ts` to `./x.js` in the
// emitted JavaScript but not in the emitted declarations. A consumer's
// TypeScript older than 5.7, and other declaration readers, do not resolve
// `.ts` specifiers inside node_modules: rewrite them to `.js`, as the
// JavaScript beside them has. Run after `tsc -p tsconfig.build.json`.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SPECIFIER = /((?:from|import\()\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g;

/** The declaration text with its relative `.ts` specifiers ending in `.js`. */
export function rewriteSpecifiers(text: string): string {
  return text.replace(SPECIFIER, '$1$2.js$3');
}

async function rewriteTree(dir: string): Promise<number> {
  let changed = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) changed += await rewriteTree(path);
    else if (entry.name.endsWith('.d.ts')) {
      const before = await readFile(path, 'utf8');
      const after = rewriteSpecifiers(before);
      if (after !== before) { await writeFile(path, after); changed++; }
    }
  }
  return changed;
}

if (import.meta.main) await rewriteTree(process.argv[2] ?? 'dist');
