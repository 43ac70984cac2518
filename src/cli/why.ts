import { gatherWhy, renderWhy } from '../operator/index.ts';
import { UsageError, type Command, type CommandIO, parseCommandLine } from './command.ts';
import { operatorFlagsHelp, operatorOptions, useColor, withRegistry } from './operator-flags.ts';

const usage = `usage: herald why NAME [--zk HOSTS] [--nameservers LIST | --bootstrap DOMAIN] [--json]

Explains what a client asking for NAME (a service, its _srvce._proto SRV name,
or an instance) gets and why: the znodes and their records, the TTLs that
apply, each nameserver's answer and rcode and whether they disagree, any
drain intent, and each sidecar's status and health. The last line is a
one-line verdict. Exit 1 when the registry holds nothing for NAME.

${operatorFlagsHelp}
  --json                  the explanation as JSON`;

async function run(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommandLine({ args: argv, options: operatorOptions, strict: true, allowPositionals: true });
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`expected one NAME, got ${positionals.length}`);
  const name = positionals[0]!;
  const report = await withRegistry(values, io, (o) => gatherWhy(name, o));
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderWhy(report, Date.now(), { color: useColor(io) }));
  return report.kind === 'unknown' ? 1 : 0;
}

const why: Command = { summary: 'what a client asking for a name gets, and why', usage, run };
export default why;
