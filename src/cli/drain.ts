import { hostname, userInfo } from 'node:os';
import { openStore } from '../registry/index.ts';
import { adminRequest, DrainRequestError } from '../drain/index.ts';
import { drainInstance } from '../drain/index.ts';
import type { SidecarStatus } from '../drain/index.ts';
import { describeProgress, phaseLine, type DrainProgress } from '../drain/index.ts';
import { chooseNameservers } from '../operator/index.ts';
import { parseMinAvailable, waitForBudget, type MinAvailable } from '../roll/index.ts';
import { UsageError, type Command, type CommandIO, parseCommandLine } from './command.ts';
import { parseTarget } from './target.ts';
import { authOption, ZK_AUTH_OPTION, zkAuthUsage, zkAuth } from './zk-auth.ts';

const usage = `usage: herald drain [--zk HOSTS [--zk-auth FILE] | --socket PATH] DOMAIN [INSTANCE] [--timeout S] [--reason TEXT] [--json]
                    [--min-available N|P% [--nameservers LIST]]

Takes INSTANCE (default: this host's name) of DOMAIN out of DNS and waits for
it to go quiet: removed → absent from every nameserver → client caches
expired → no work in flight → drained. The request is a znode, so it can be
made from anywhere and survives a sidecar restart; 'herald resume' lifts it.
Exits 0 when drained, 1 at the deadline (saying which condition was unmet)
or when no sidecar took the request up, 2 on bad usage.

  --zk HOSTS       ZooKeeper connect string (default $HERALD_ZK, else 127.0.0.1:2181)
${zkAuthUsage(19)}
  --socket PATH    ask the local sidecar through its admin socket instead
  --timeout S      the drain's deadline (default: the sidecar's drain.deadline)
  --reason TEXT    recorded with the request
  --json           print the final status as JSON
  --min-available N|P%
                   first wait (up to --timeout, default 60 s) until taking INSTANCE out
                   leaves at least N (or P%) of DOMAIN's instances registered, healthy and
                   served by every nameserver; exit 1 saying why when it does not
  --nameservers LIST  the nameservers for --min-available, ip[:port],... (default /etc/resolv.conf)`;

/**
 * Shows progress: on a terminal one updating line; otherwise one line per
 * phase, written as the phase ends (so it carries the phase's outcome).
 */
export function progressPrinter(out: CommandIO['stdout']): { show(p: DrainProgress): void; end(): void } {
  let printed = 0;
  let final = false;
  let open = false;
  return {
    show(p) {
      const done = p.phase === 'drained' || p.phase === 'deadline';
      if (out.isTTY) {
        out.write(`\r\x1b[K${describeProgress(p, Date.now())}`);
        open = !done;
        if (done) out.write('\n');
        return;
      }
      // Statuses may be skipped (only the latest is published): the finished phases are all in p.phases.
      for (; printed < p.phases.length; printed++) {
        const ph = p.phases[printed]!;
        out.write(`${phaseLine(p, ph.phase, ph.ms)}\n`);
      }
      if (done && !final) {
        if (p.phase === 'deadline' && p.unmet === 'in-flight') out.write(`in flight: ${p.inFlight ?? '?'}\n`);
        out.write(`${describeProgress(p, Date.now())}\n`);
        final = true;
      }
    },
    end() {
      if (open) out.write('\n');
      open = false;
    },
  };
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommandLine({
    args: argv,
    options: {
      zk: { type: 'string' }, ...ZK_AUTH_OPTION, socket: { type: 'string' }, timeout: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' },
      'min-available': { type: 'string' }, nameservers: { type: 'string' },
    },
    strict: true, allowPositionals: true,
  });
  const { values, positionals } = parsed;
  if (values.zk !== undefined && values.socket !== undefined) throw new UsageError('give --zk or --socket, not both');
  if (values['min-available'] !== undefined && values.socket !== undefined) throw new UsageError('--min-available needs the registry (--zk), not --socket');
  let minAvailable: MinAvailable | undefined;
  try { minAvailable = values['min-available'] === undefined ? undefined : parseMinAvailable(values['min-available']); } catch (err) { throw new UsageError((err as Error).message); }
  let deadlineMs: number | undefined;
  if (values.timeout !== undefined) {
    const s = Number(values.timeout);
    if (values.timeout.trim() === '' || !Number.isFinite(s) || s < 0) throw new UsageError(`--timeout must be a non-negative number of seconds, got "${values.timeout}"`);
    deadlineMs = Math.round(s * 1000);
  }
  const reason = values.reason ?? 'herald drain';
  const printer = progressPrinter(io.stdout);
  let final: SidecarStatus | undefined;
  const onStatus = (s: SidecarStatus): void => {
    final = s;
    if (s.drain && !values.json) printer.show(s.drain);
  };

  if (values.socket !== undefined) {
    await adminRequest(values.socket, { op: 'drain', reason, follow: true, ...(deadlineMs === undefined ? {} : { deadlineMs }) }, (line) => {
      if (typeof line['error'] === 'string') throw new DrainRequestError(`the sidecar refused: ${line['error']}`);
      onStatus(line as unknown as SidecarStatus);
    }, io.signal);
    printer.end();
    return report(final, io, values.json === true);
  }

  const { domain, instance } = parseTarget(positionals);
  const auth = await zkAuth(values['zk-auth']);
  const store = openStore(values.zk ?? io.env['HERALD_ZK'] ?? '127.0.0.1:2181', authOption(auth));
  try {
    await store.ready(10_000);
    if (minAvailable) {
      const budget = await waitForBudget(instance, {
        store, domain, minAvailable, parallel: 1, timeoutMs: deadlineMs ?? 60_000, signal: io.signal,
        nameservers: await chooseNameservers(values.nameservers, undefined, 1000), onWait: (text) => io.stderr.write(`${text}\n`),
      });
      if (!budget.allowed) {
        io.stderr.write(`herald drain: ${instance}.${domain} not drained: ${budget.reason}\n`);
        return 1;
      }
    }
    const by = `${userInfo().username}@${hostname()}`;
    const outcome = await drainInstance(store, domain, instance, { reason, by, onStatus, signal: io.signal, ...(deadlineMs === undefined ? {} : { deadlineMs }) });
    printer.end();
    if (outcome.outcome === 'no-sidecar') {
      const state = outcome.status?.state;
      io.stderr.write(`herald drain: no sidecar of ${instance}.${domain} ${state ? `finished the drain (last state: ${state})` : 'took the request up'}; the request stays until 'herald resume'\n`);
      return 1;
    }
    return report(outcome.status, io, values.json === true);
  } finally {
    await store.close();
  }
}

function report(status: SidecarStatus | undefined, io: CommandIO, json: boolean): number {
  if (json && status) io.stdout.write(`${JSON.stringify(status)}\n`);
  const p = status?.drain;
  if (p?.phase === 'drained') return 0;
  if (p?.phase === 'deadline') {
    io.stderr.write(`herald drain: ${describeProgress(p, Date.now())}\n`);
    return 1;
  }
  io.stderr.write('herald drain: the sidecar stopped answering before the drain finished\n');
  return 1;
}

const drain: Command = { summary: 'take an instance out of DNS and wait until it is quiet', usage, run };
export default drain;
