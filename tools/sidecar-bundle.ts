// Part of `npm run build`: `dist/sidecar.cjs`, the npm package's `herald
// sidecar` (bin/herald.js runs it). One CommonJS script of the dispatcher and
// the sidecar with what they import, node-zookeeper-client included, as the
// single executable's main script is (bundle-options.ts): the same
// sidecar from ~100 compiled ES modules of dist/ cost a zone 55 MB of RSS
// against 50 MB from this script (issue 16; registrar: 50 MB). The library
// and every other subcommand run from dist/ and the installed dependencies.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { CJS, MAIN, otherCommands, ROOT, thirdPartyNotices } from './bundle-options.ts';

const out = join(ROOT, process.argv[2] ?? 'dist', 'sidecar.cjs');
// The launcher sends only `herald sidecar` here: any other subcommand is not in this script.
const absent = otherCommands((name) => `throw new Error(${JSON.stringify(`herald ${name} is not in the sidecar's bundle: run it through bin/herald.js`)});`);
const { metafile } = await build({ ...CJS, entryPoints: [MAIN], outfile: out, plugins: [absent], metafile: true });
// The dependencies it carries, with their licenses, beside it.
writeFileSync(`${out}.LICENSES.txt`, thirdPartyNotices(Object.keys(metafile.inputs)));
