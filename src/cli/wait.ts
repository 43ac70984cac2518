import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecordType } from '../dns/index.ts';
import { bootstrapNameservers, DnsClient, lookup, type Nameserver, type NameserverOutcome, systemNameservers } from '../resolver/index.ts';
import type { Command } from './command.ts';
import { parseWaitArgs, type WaitArgs } from './wait-args.ts';
import { verdict, type Verdict } from './wait-verdict.ts';

const usage = `usage: herald wait --in|--out NAME ADDRESS... [--nameservers LIST | --bootstrap DOMAIN] [--timeout S] [--interval S] [--query-timeout S] [--json]

Asks every nameserver, every --interval (default 1 s), until all of them
agree that each ADDRESS is in (--in) or out of (--out) NAME's A/AAAA records.
REFUSED, SERVFAIL and timeouts count as "not known yet", never as absent.
  --nameservers LIST  ip[:port],... (default: /etc/resolv.conf)
  --bootstrap DOMAIN  the nameservers listed by _dns._udp.DOMAIN SRV (asked of --nameservers)
  --timeout S         give up after S seconds (default 60)
Exit 0 when all agree; 1 on timeout, naming each nameserver that did not agree and what it said.`;

const wait: Command = {
  summary: 'wait until every nameserver has (or no longer has) an address for a name',
  usage,
  async run(argv, io) {
    const args = parseWaitArgs(argv);
    const client = new DnsClient();
    try {
      return await poll(args, client, io);
    } finally {
      client.close();
    }
  },
};

async function poll(args: WaitArgs, client: DnsClient, io: Parameters<Command['run']>[1]): Promise<number> {
  const deadline = Date.now() + args.timeoutMs;
  const nameservers = await findNameservers(args, client);
  const types = [...new Set(args.addresses.map((a) => (isIP(a) === 6 ? RecordType.AAAA : RecordType.A)))];
  let last: Verdict[] = [];
  for (;;) {
    const per = await Promise.all(types.map((type) => lookup(args.name, type, { all: true, nameservers, client, tries: 1, timeoutMs: args.queryTimeoutMs })));
    last = nameservers.map((_, i) => verdict(per.map((outcomes) => outcomes[i]!) as NameserverOutcome[], args.addresses, args.direction));
    if (last.every((v) => v.agrees)) {
      const text = `${args.addresses.join(', ')} ${args.direction === 'in' ? 'in' : 'out of'} ${args.name} on all ${nameservers.length} nameservers (${nameservers.map((n) => n.key).join(', ')})`;
      io.stdout.write(args.json ? JSON.stringify({ met: true, direction: args.direction, name: args.name, addresses: args.addresses, nameservers: last }) + '\n' : text + '\n');
      return 0;
    }
    const left = deadline - Date.now();
    if (left <= 0 || io.signal.aborted) break;
    try {
      await sleep(Math.min(args.intervalMs, left), undefined, { signal: io.signal });
    } catch {
      break; // SIGINT/SIGTERM: report where things stand, as on timeout
    }
  }
  const disagree = last.filter((v) => !v.agrees);
  const why = io.signal.aborted ? 'interrupted' : `timed out after ${args.timeoutMs / 1000} s`;
  io.stderr.write(`herald wait: ${why}: ${disagree.length} of ${last.length} nameservers do not show ${args.addresses.join(', ')} ${args.direction === 'in' ? 'in' : 'out of'} ${args.name}: ${disagree.map((v) => `${v.nameserver} ${v.said}`).join('; ')}\n`);
  if (args.json) io.stdout.write(JSON.stringify({ met: false, direction: args.direction, name: args.name, addresses: args.addresses, nameservers: last }) + '\n');
  return 1;
}

async function findNameservers(args: WaitArgs, client: DnsClient): Promise<Nameserver[]> {
  const seed = args.nameservers ?? (await systemNameservers());
  if (args.bootstrap === undefined) return seed;
  return (await bootstrapNameservers(args.bootstrap, { nameservers: seed, client, timeoutMs: args.queryTimeoutMs, tries: 2 })).nameservers;
}

export default wait;
