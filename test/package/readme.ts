import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './packed.ts';

/** The commands (comments dropped) of sh block `index` under `### <heading>…` in the README's Install section. */
export function installCommands(heading: string, index = 0): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const install = /^## Install\n([\s\S]*?)^## /m.exec(readme)?.[1];
  if (install === undefined) throw new Error('README.md has no "## Install" section');
  const start = install.indexOf(`### ${heading}`);
  if (start < 0) throw new Error(`README.md Install has no "### ${heading}"`);
  const section = install.slice(start).split(/^### /m)[1] ?? '';
  const block = [...section.matchAll(/```sh\n([\s\S]*?)```/g)][index]?.[1];
  if (block === undefined) throw new Error(`README.md Install "### ${heading}" has no sh block ${index}`);
  return block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}
