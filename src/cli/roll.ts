import { hostname, userInfo } from 'node:os';
import { normalizeName } from '../dns/index.ts';
import { chooseNameservers } from '../operator/index.ts';
import { openStore } from '../registry/index.ts';
import { parseMinAvailable, renderPlan, runRoll, stepLine, type InstanceProgress, type RollEvent, type RollSummary } from '../roll/index.ts';
import { UsageError, type Command, type CommandIO, parseCommandLine } from './command.ts';
import { authOption, ZK_AUTH_OPTION, zkAuthUsage, zkAuth } from './zk-auth.ts';

const usage = `usage: herald roll [--zk HOSTS [--zk-auth FILE]] DOMAIN [options] -- CMD ARGS...
       herald roll [--zk HOSTS [--zk-auth FILE]] --continue DOMAIN

Updates every instance of the service at DOMAIN, one at a time: drain it (as
'herald drain'), run CMD, resume it, wait until it is registered, healthy and
served by every nameserver, soak, then the next. CMD gets HERALD_INSTANCE,
HERALD_ADDRESS and HERALD_DOMAIN in its environment; {instance} and {address}
in its arguments are filled in. A failure stops the roll and leaves the failed
instance drained. The plan and each instance's progress live in the registry,
and the roll holds a lease on the service: a second roll is refused, and
--continue picks up after the roll process died. Exit 0 when every instance
was updated, 1 naming the instance that failed and why, 2 on bad usage.

  --zk HOSTS             ZooKeeper connect string, or memory://HOST:PORT (default $HERALD_ZK, else 127.0.0.1:2181)
${zkAuthUsage(25)}
  --nameservers LIST     the nameservers that must serve each instance, ip[:port],... (default /etc/resolv.conf)
  --bootstrap DOMAIN     the nameservers _dns._udp.DOMAIN lists
  --instances A,B,...    limit and order the instances (default: all, by name)
  --parallel K           update K at once (default 1)
  --min-available N|P%   instances that must stay available (default: all but those being updated)
  --soak S               hold each instance this long after it is back, its health must stay good (default 0)
  --timeout S            bound on each wait: the budget, the drain, the return (default 300)
  --fast-ttl S           serve the service's records with TTL S during the roll, so each drain waits S instead of the full TTL
  --on-failure resume    resume the failed instance instead of leaving it drained
  --continue             pick up the roll in the registry (after the roll process died)
  --session-timeout MS   the roll's registry session (its lease ends this long after a crash; default 10000)
  --json                 print the summary as JSON`;

function seconds(flag: string, text: string | undefined, fallback: number | undefined, min = 0): number | undefined {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`--${flag} needs a number of seconds ≥ ${min}, got "${text}"`);
  return Math.round(n * 1000);
}

function count(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} needs a whole number ≥ 1, got "${text}"`);
  return n;
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const dash = argv.indexOf('--');
  const command = dash < 0 ? [] : argv.slice(dash + 1);
  const parsed = parseCommandLine({
    args: dash < 0 ? argv : argv.slice(0, dash),
    options: {
      zk: { type: 'string' }, ...ZK_AUTH_OPTION, nameservers: { type: 'string' }, bootstrap: { type: 'string' }, instances: { type: 'string' },
      parallel: { type: 'string' }, 'min-available': { type: 'string' }, soak: { type: 'string' }, timeout: { type: 'string' },
      'fast-ttl': { type: 'string' }, 'on-failure': { type: 'string' }, continue: { type: 'boolean' },
      'session-timeout': { type: 'string' }, json: { type: 'boolean' },
    },
    strict: true, allowPositionals: true,
  });
  const { values: v, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one DOMAIN, got ${positionals.join(' ')}` : 'DOMAIN is required');
  let domain: string;
  try { domain = normalizeName(positionals[0]!); } catch (err) { throw new UsageError((err as Error).message); }
  const resuming = v.continue === true;
  if (!resuming && command.length === 0) throw new UsageError('CMD is required: herald roll DOMAIN -- CMD ARGS...');
  if (resuming && command.length) throw new UsageError('--continue runs the plan in the registry: give no CMD');
  if (v['on-failure'] !== undefined && v['on-failure'] !== 'resume' && v['on-failure'] !== 'stay-drained') throw new UsageError(`--on-failure must be resume or stay-drained, got "${v['on-failure']}"`);
  let minAvailable;
  try { minAvailable = v['min-available'] === undefined ? undefined : parseMinAvailable(v['min-available']); } catch (err) { throw new UsageError((err as Error).message); }
  const fastTtlMs = seconds('fast-ttl', v['fast-ttl'], undefined, 1);
  if (fastTtlMs !== undefined && fastTtlMs % 1000 !== 0) throw new UsageError('--fast-ttl needs whole seconds (a DNS TTL)');
  const instances = v.instances?.split(',').map((s) => s.trim()).filter(Boolean);
  if (instances?.length === 0) throw new UsageError('--instances lists no instance');
  const sessionTimeoutMs = count('session-timeout', v['session-timeout'], 10_000);
  let nameservers: string[];
  try {
    nameservers = await chooseNameservers(v.nameservers, v.bootstrap, 1000);
  } catch (err) {
    if ((err as { code?: string }).code === 'HERALD_INVALID_NAMESERVER') throw new UsageError((err as Error).message);
    throw err;
  }

  const show = display(io, v.json === true);
  const auth = await zkAuth(v['zk-auth']);
  const store = openStore(v.zk ?? io.env['HERALD_ZK'] ?? '127.0.0.1:2181', { sessionTimeoutMs, ...authOption(auth) });
  let summary: RollSummary;
  try {
    await store.ready(10_000);
    summary = await runRoll({
      store, domain, continue: resuming, command, nameservers, by: `herald roll by ${userInfo().username}@${hostname()} pid ${process.pid}`,
      env: io.env, output: io.stderr, signal: io.signal, onEvent: show.event,
      ...(instances ? { instances } : {}),
      ...(v.parallel !== undefined ? { parallel: count('parallel', v.parallel, 1) } : {}),
      ...(minAvailable ? { minAvailable } : {}),
      ...(v.soak !== undefined ? { soakMs: seconds('soak', v.soak, 0)! } : {}),
      ...(v.timeout !== undefined ? { timeoutMs: seconds('timeout', v.timeout, 300_000, 0.001)! } : {}),
      ...(fastTtlMs !== undefined ? { fastTtl: fastTtlMs / 1000 } : {}),
      ...(v['on-failure'] ? { onFailure: v['on-failure'] === 'resume' ? 'resume' as const : 'stay-drained' as const } : {}),
    });
  } finally {
    show.end();
    await store.close();
  }
  if (v.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else if (summary.ok) io.stdout.write(`roll of ${domain}: ${summary.instances.length} instances updated in ${(summary.elapsedMs / 1000).toFixed(1)} s\n`);
  if (summary.ok) return 0;
  io.stderr.write(`herald roll: ${summary.reason ?? 'not every instance was updated'}\n`);
  return 1;
}

/** On a terminal, a live view redrawn in place; otherwise one line per step, note and budget change. */
function display(io: CommandIO, json: boolean): { event(e: RollEvent): void; end(): void } {
  const out = json ? io.stderr : io.stdout;
  const live = out.isTTY === true;
  let instances: string[] = [];
  let progress = new Map<string, InstanceProgress>();
  let note = '';
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    const lines = renderPlan(instances, progress, Date.now(), note);
    out.write(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\r\x1b[K${l}\n`).join('')}`);
    drawn = lines.length;
  };
  return {
    event(e) {
      if (e.type === 'plan') {
        instances = e.plan.instances;
        progress = new Map(e.progress);
        if (live) { draw(); timer = setInterval(draw, 500); timer.unref(); }
        else out.write(`roll ${e.plan.id} of ${e.plan.domain}: ${instances.join(', ')}\n`);
        return;
      }
      if (e.type === 'progress') {
        const before = progress.get(e.instance);
        progress.set(e.instance, e.progress);
        if (live) return draw();
        if (before?.step !== e.progress.step || before.phase !== e.progress.phase) out.write(`${stepLine(e.instance, e.progress, Date.now())}\n`);
        return;
      }
      note = e.text;
      if (live) draw();
      else out.write(`${e.text}\n`);
    },
    end() {
      clearInterval(timer);
      if (live && instances.length) draw();
    },
  };
}

const roll: Command = { summary: 'rolling update: drain, update, resume and wait for each instance in turn, under a budget', usage, run };
export default roll;
