// The npm package laid out as an install has it, for benches: bin/herald.js
// and its package.json, the package's package.json and dist/ (a link to the
// checkout's build), and no src/ beside them, so that the launcher takes the
// installed path (dist/, the sidecar's bundle, the compile cache), not the
// checkout's sources. Dependencies resolve through the link to the checkout.
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Lays the package out in `dir` (which must exist); resolves to its launcher's path. */
export async function packageLayout(dir: string, root = '.'): Promise<string> {
  await mkdir(join(dir, 'bin'), { recursive: true });
  for (const f of ['bin/herald.js', 'bin/package.json']) await copyFile(join(root, f), join(dir, f));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'herald', type: 'module' }));
  await symlink(resolve(root, 'dist'), join(dir, 'dist'));
  return join(dir, 'bin/herald.js');
}
