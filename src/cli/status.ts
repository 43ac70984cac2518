import { normalizeName } from '../dns/index.ts';
import { gatherStatus, renderStatus } from '../operator/index.ts';
import { openRegistryWarning } from '../registry/index.ts';
import { UsageError, type Command, type CommandIO, parseCommandLine } from './command.ts';
import { operatorFlagsHelp, operatorOptions, useColor, withRegistry } from './operator-flags.ts';

const usage = `usage: herald status [--zk HOSTS] [DOMAIN] [--json] [--nameservers LIST | --bootstrap DOMAIN]

Every service under DOMAIN (default: the whole registry) with its instances:
address, ports, state (registered, unhealthy, draining with its phase,
drained, starting, stopped, absent, rejected), since when, the host node's ZooKeeper
session, and whether each nameserver serves it right now.

${operatorFlagsHelp}
  --json                  the report as JSON`;

async function run(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommandLine({ args: argv, options: operatorOptions, strict: true, allowPositionals: true });
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`expected at most one DOMAIN, got ${positionals.length}`);
  const domain = positionals[0] ?? '';
  if (domain !== '' && domain !== '.') {
    try {
      normalizeName(domain);
    } catch (err) {
      throw new UsageError(`DOMAIN: ${(err as Error).message}`);
    }
  }
  const report = await withRegistry(values, io, async (o) => {
    const gathered = await gatherStatus(domain, o);
    // After gathering: the session is up by then.
    const warning = await openRegistryWarning(o.store, values.zk ?? io.env['HERALD_ZK'] ?? '127.0.0.1:2181').catch(() => undefined);
    if (warning) io.stderr.write(`herald status: warning: ${warning}\n`);
    return gathered;
  });
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report, { color: useColor(io) }));
  return 0;
}

const status: Command = { summary: 'every service and instance: state, since when, and what each nameserver serves', usage, run };
export default status;
