import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const bin = here('../../bin/herald.js');

/** Runs `argv` in a fresh network namespace where only loopback is up: every other address has no route. */
async function isolated(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = 'ip link set lo up && exec "$@"';
  try {
    const { stdout, stderr } = await run('unshare', ['-rn', 'sh', '-c', script, 'sh', ...argv], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

t.test('unroutable nameservers fail at once as typed errors; the next nameserver answers', async (t) => {
  const r = await isolated([process.execPath, here('./unroutable-child.ts')]);
  t.equal(r.code, 0, `child exits 0 (stderr: ${r.stderr.trim()})`);
  const out = JSON.parse(r.stdout) as { next: { nameserver: string; answers: number; ms: number }; failed: { code: string; message: string; attempts: { nameserver: string; reason: string }[] } };
  t.equal(out.next.answers, 1, `answered by ${out.next.nameserver}`);
  t.ok(out.next.ms < 1000, `in ${out.next.ms.toFixed(0)} ms: no route fails at once, not after the 2 s timeout`);
  t.equal(out.failed.code, 'HERALD_LOOKUP_FAILED');
  t.same(out.failed.attempts.map((a) => a.reason), ['ENETUNREACH', 'ENETUNREACH']);
  t.match(out.failed.message, /10\.9\.9\.9:53 ENETUNREACH, \[2001:db8::1\]:5353 ENETUNREACH/);
});

t.test('herald dig @unroutable: one clear line and exit 1, no crash', async (t) => {
  const r = await isolated([process.execPath, bin, 'dig', '@10.9.9.9', '+time=1', '+tries=1', 'svc.example.test']);
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  t.match(r.stderr, /^herald dig: A svc\.example\.test: no nameserver answered \(10\.9\.9\.9:53 ENETUNREACH\)/);
  t.notMatch(r.stderr, /ERR_SOCKET_BAD_PORT|at .*\.ts:\d+/, 'no stack trace');
});
