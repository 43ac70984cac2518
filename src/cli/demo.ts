import { lineDisplay, silentDisplay, ttyDisplay, runDemo, renderSummary } from '../demo/index.ts';
import { HeraldError } from '../errors.ts';
import { UsageError, type Command, type CommandIO, parseCommandLine } from './command.ts';

const usage = `usage: herald demo [--instances N] [--rps N] [--duration S] [--ttl S] [--json]

Runs Herald whole on this machine, on loopback, with no ZooKeeper: an in-memory
registry, a DNS server, N instances (an HTTP service process and its sidecar
each), and a client pushing steady load through the BalancedAgent, resolving
through the DNS server. Under that load: a rolling update (herald drain →
restart → herald resume, one instance at a time), then a kill -9 of one
instance. Shows a live table on a terminal (one line per event otherwise),
ends with a summary, and exits 1 if any request failed.

  --instances N   instances (default 3, 2..9)
  --rps N         requests per second (default 100)
  --duration S    about how long the run takes (default 30; each update
                  step needs ~2×TTL+1 s, so it may run longer)
  --ttl S         the records' TTL, which each drain waits out (default 2, 1..60)
  --json          print only the summary, as JSON`;

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} takes a number, not "${value}"`);
  return n;
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandLine({
    args: argv,
    options: { instances: { type: 'string' }, rps: { type: 'string' }, duration: { type: 'string' }, ttl: { type: 'string' }, json: { type: 'boolean' } },
    strict: true, allowPositionals: false,
  });
  const instances = number(values.instances, '--instances');
  const rps = number(values.rps, '--rps');
  const duration = number(values.duration, '--duration');
  const ttl = number(values.ttl, '--ttl');
  // Stops on SIGINT/SIGTERM, and when whoever reads stdout goes away (`herald demo | head`).
  const stop = new AbortController();
  if (io.signal.aborted) stop.abort(io.signal.reason);
  io.signal.addEventListener('abort', () => stop.abort(io.signal.reason), { once: true });
  io.stdout.on('error', (err) => stop.abort(err));
  const display = values.json ? silentDisplay() : io.stdout.isTTY ? ttyDisplay(io.stdout) : lineDisplay(io.stdout);
  let summary;
  try {
    summary = await runDemo({
      display, signal: stop.signal,
      ...(instances !== undefined ? { instances } : {}), ...(rps !== undefined ? { rps } : {}),
      ...(duration !== undefined ? { duration } : {}), ...(ttl !== undefined ? { ttl } : {}),
    });
  } catch (err) {
    if (err instanceof HeraldError) throw err;
    // It could not start (an instance that would not listen, say): one line, not a stack.
    io.stderr.write(`herald demo: ${stop.signal.aborted ? 'interrupted while starting' : (err as Error).message}\n`);
    return stop.signal.aborted ? 130 : 1;
  }
  io.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : `\n${renderSummary(summary)}`);
  if (!summary.ok) return 1;
  return summary.interrupted ? 130 : 0;
}

const demo: Command = { summary: 'run Herald whole on loopback: a rolling update and a crash under load, no request failed', usage, run };
export default demo;
