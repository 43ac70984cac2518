import { constants } from 'node:os';
import { acquireLease, exitStatus, resolveCommand, type Lease, validateLeaseName, prepareCommand, runUnderLease, leaseStatus, type LeaseContender, type LeaseHolder } from '../lease/index.ts';
import { openStore } from '../registry/index.ts';
import { UsageError, type Command, type CommandIO, parseCommandLine } from './command.ts';
import { authOption, ZK_AUTH_OPTION, zkAuthUsage, zkAuth } from './zk-auth.ts';

const usage = `usage: herald lease status [--zk HOSTS] NAME [--json]
       herald lease run [--zk HOSTS] [--zk-auth FILE] [options] NAME -- CMD [ARGS...]

status: who holds the lease NAME (instance, fencing token, for how long) and who
        waits, in order.
run:    waits for the lease, runs CMD while holding it (HERALD_LEASE_TOKEN,
        HERALD_LEASE_NAME, HERALD_LEASE_INSTANCE in its environment), stops it
        (SIGTERM, then SIGKILL after the grace) the moment the lease may be lost,
        and gives the lease up when CMD ends. A lease watchdog process stops CMD
        when this process dies or freezes. Exits with CMD's status; 1 when the
        lease was lost, the watchdog died, or the wait timed out.

  --zk HOSTS              ZooKeeper connect string, or memory://HOST:PORT
                          (default $HERALD_ZK, else 127.0.0.1:2181)
${zkAuthUsage(26)}
  --instance ID           the holder's name shown by status (default the host name)
  --timeout S             give up waiting for the lease after S seconds
  --grace S               SIGTERM to SIGKILL (default 10; cut to half of the
                          session timeout less the safety margin)
  --session-timeout MS    ZooKeeper session timeout (default 30000)
  --safety-margin MS      give the lease up this long before the session could expire
                          (default a third of the session timeout)
  --connect-timeout S     fail when ZooKeeper cannot be reached (default 10)
  --json                  status as JSON`;

function seconds(value: string | undefined, flag: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a non-negative number of seconds, got "${value}"`);
  return n * 1000;
}

function millis(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer of milliseconds, got "${value}"`);
  return n;
}

function parse(argv: string[]) {
  return parseCommandLine({
    args: argv,
    options: {
      zk: { type: 'string' }, ...ZK_AUTH_OPTION, instance: { type: 'string' }, timeout: { type: 'string' }, grace: { type: 'string' },
      'session-timeout': { type: 'string' }, 'safety-margin': { type: 'string' }, 'connect-timeout': { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true, allowPositionals: true,
  });
}

type Values = ReturnType<typeof parse>['values'];

function oneName(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`expected one lease NAME, got ${positionals.length}`);
  return validateLeaseName(positionals[0]);
}

function zkOf(values: Values, io: CommandIO): string {
  return values.zk ?? io.env['HERALD_ZK'] ?? '127.0.0.1:2181';
}

function describe(c: LeaseContender): string {
  return `${c.instance ?? '?'} (token ${c.token}${c.pid === undefined ? '' : `, pid ${c.pid}`})`;
}

function heldFor(h: LeaseHolder): string {
  if (h.heldForMs === undefined) return '';
  return ` for ${(h.heldForMs / 1000).toFixed(1)} s (since ${h.heldSince}), session alive at this read`;
}

async function status(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parse(argv);
  const name = oneName(positionals);
  const store = openStore(zkOf(values, io), authOption(await zkAuth(values['zk-auth'])));
  try {
    await store.ready(seconds(values['connect-timeout'], '--connect-timeout', 10_000));
    const s = await leaseStatus(store, name);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(s)}\n`);
    } else {
      io.stdout.write(s.holder ? `lease ${name}: held by ${describe(s.holder)}${heldFor(s.holder)}\n` : `lease ${name}: free\n`);
      s.queue.forEach((c, i) => io.stdout.write(`  ${i + 1}. waiting: ${describe(c)}\n`));
    }
    return 0;
  } finally {
    await store.close();
  }
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const dash = argv.indexOf('--');
  if (dash < 0) throw new UsageError('missing "-- CMD [ARGS...]"');
  const command = argv.slice(dash + 1);
  if (command.length === 0) throw new UsageError('missing CMD after "--"');
  const { values, positionals } = parse(argv.slice(0, dash));
  const name = oneName(positionals);
  const timeoutMs = seconds(values.timeout, '--timeout', undefined);
  const graceMs = seconds(values.grace, '--grace', 10_000)!;
  const sessionTimeoutMs = millis(values['session-timeout'], '--session-timeout');
  const safetyMarginMs = millis(values['safety-margin'], '--safety-margin');
  if (values.instance === '') throw new UsageError('--instance must not be empty');
  // Before queueing, so that a typo leaves nothing behind in ZooKeeper.
  resolveCommand(command[0]!, io.env);
  const auth = await zkAuth(values['zk-auth']);
  const log = (line: string): void => { io.stderr.write(`herald lease: ${line}\n`); };

  const signals = [io.signal];
  if (timeoutMs !== undefined) signals.push(AbortSignal.timeout(timeoutMs));
  const waitSignal = AbortSignal.any(signals);
  // The watchdog starts now, idle, so that holding the lease does not wait for it.
  const prepared = prepareCommand({ argv: command, env: io.env, stdio: 'inherit' });
  let lease: Lease;
  try {
    lease = await acquireLease(name, {
      zk: zkOf(values, io), signal: waitSignal, ...authOption(auth),
      connectTimeoutMs: seconds(values['connect-timeout'], '--connect-timeout', 10_000)!,
      ...(values.instance === undefined ? {} : { instance: values.instance }),
      ...(sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs }),
      ...(safetyMarginMs === undefined ? {} : { safetyMarginMs }),
    });
  } catch (err) {
    await prepared.cancel();
    if (io.signal.aborted) { log(`stopped while waiting for lease ${name}`); return 1; }
    if (waitSignal.aborted) { log(`timed out after ${values.timeout} s waiting for lease ${name}`); return 1; }
    throw err;
  }
  try {
    log(`holding lease ${name} with token ${lease.token}`);
    const outcome = await runUnderLease(lease, {
      argv: command, env: io.env, graceMs, signal: io.signal, stdio: 'inherit', prepared,
      onStart: (info) => { if (info.graceMs < graceMs) log(`grace cut to ${info.graceMs} ms: it must end inside the lease's trusted window`); },
    });
    if (outcome.reason === 'lost') { log(`${outcome.error.message}; command stopped`); return 1; }
    if (outcome.reason === 'watchdog') { log('the lease watchdog died; command stopped'); return 1; }
    if (outcome.exit?.error) { log(`command ${JSON.stringify(command[0])} could not start: ${outcome.exit.error.message}`); return 127; }
    return outcome.exit ? exitStatus(outcome.exit, constants.signals) : 1;
  } finally {
    await lease.release();
  }
}

async function lease(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'status') return status(rest, io);
  if (sub === 'run') return run(rest, io);
  throw new UsageError(sub === undefined ? 'missing subcommand: status or run' : `unknown subcommand "${sub}": status or run`);
}

const command: Command = { summary: 'leases for singleton workers: who holds one, or run a command while holding it', usage, run: lease };
export default command;
