// The layout's rules (.dependency-cruiser.cjs, DESIGN.md "Layout"): no import
// cycles, and every import in src/ points down the layers.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);

t.test('src/ keeps the layers and has no import cycles', async (t) => {
  const bin = new URL('../node_modules/.bin/depcruise', import.meta.url).pathname;
  const { stdout } = await run(bin, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { maxBuffer: 64 << 20 })
    .catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const result = JSON.parse(stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[]; totalCruised: number } };
  t.ok(result.summary.totalCruised > 100, `cruised ${result.summary.totalCruised} modules (the TypeScript sources were read)`);
  t.same(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`), [], 'no violations');
});
