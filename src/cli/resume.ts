import { openStore } from '../registry/index.ts';
import { adminRequest } from '../drain/index.ts';
import { resumeInstance } from '../drain/index.ts';
import { UsageError, type Command, type CommandIO, parseCommandLine } from './command.ts';
import { parseTarget } from './target.ts';
import { authOption, ZK_AUTH_OPTION, zkAuthUsage, zkAuth } from './zk-auth.ts';

const usage = `usage: herald resume [--zk HOSTS [--zk-auth FILE] | --socket PATH] DOMAIN [INSTANCE]

Lifts a drain request made with 'herald drain': the instance (default: this
host's name) registers again as soon as its health check passes.

  --zk HOSTS       ZooKeeper connect string (default $HERALD_ZK, else 127.0.0.1:2181)
${zkAuthUsage(19)}
  --socket PATH    ask the local sidecar through its admin socket instead`;

async function run(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommandLine({ args: argv, options: { zk: { type: 'string' }, ...ZK_AUTH_OPTION, socket: { type: 'string' } }, strict: true, allowPositionals: true });
  const { values, positionals } = parsed;
  if (values.zk !== undefined && values.socket !== undefined) throw new UsageError('give --zk or --socket, not both');
  if (values.socket !== undefined) {
    let error: string | undefined;
    await adminRequest(values.socket, { op: 'resume' }, (line) => { if (typeof line['error'] === 'string') error = line['error']; }, io.signal);
    if (error) {
      io.stderr.write(`herald resume: ${error}\n`);
      return 1;
    }
    io.stdout.write('resumed\n');
    return 0;
  }
  const { domain, instance } = parseTarget(positionals);
  const auth = await zkAuth(values['zk-auth']);
  const store = openStore(values.zk ?? io.env['HERALD_ZK'] ?? '127.0.0.1:2181', authOption(auth));
  try {
    await store.ready(10_000);
    const lifted = await resumeInstance(store, domain, instance);
    io.stdout.write(lifted ? `resumed ${instance}.${domain}\n` : `${instance}.${domain} was not draining\n`);
    return 0;
  } finally {
    await store.close();
  }
}

const resume: Command = { summary: 'lift a drain: the instance re-registers once healthy', usage, run };
export default resume;
