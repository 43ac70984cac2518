// The single executable's entry (bundled to CommonJS, so no top-level
// await). It is `herald`, or, told so by SEA_PROGRAM_ENV, one of the child
// programs Herald starts by path elsewhere (entry-points.ts).
import { runProcess } from '../src/cli/main.ts';
import { SEA_PROGRAM_ENV } from '../src/entry-points.ts';

const programs: Record<string, () => Promise<unknown>> = {
  'instance-program': () => import('../src/demo/instance-program.ts'),
};

const program = process.env[SEA_PROGRAM_ENV];
delete process.env[SEA_PROGRAM_ENV];
const start = program === undefined ? runProcess : programs[program];
if (start === undefined) {
  process.stderr.write(`herald: unknown ${SEA_PROGRAM_ENV}=${program}\n`);
  process.exitCode = 2;
} else {
  start().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
