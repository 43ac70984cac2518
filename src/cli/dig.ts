import { Rcode, typeName, InvalidNameError } from '../dns/index.ts';
import { LookupFailedError, lookup, parseNameserver, type LookupResult, type Nameserver, readResolvConf } from '../resolver/index.ts';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { formatHostPort } from '../host-port.ts';
import { parseDigArgs } from './dig-args.ts';
import { fullText, rdataText, resultJson } from './dig-format.ts';

const usage = `usage: herald dig [@SERVER] [-p PORT] [-t TYPE | TYPE] NAME [-x ADDRESS] [+short] [+tcp] [+time=S] [+tries=N] [+json]

Asks SERVER (default: the nameservers in /etc/resolv.conf, in turn) for NAME,
as dig does. REFUSED, SERVFAIL and timeouts move on to the next nameserver.
  +short    only the answer data, one record a line, exactly as dig +short
  +tcp      ask over TCP (UDP replies that are truncated go to TCP anyway)
  +time=S   per-query timeout in seconds (default 5)
  +tries=N  attempts over the nameservers (default 3)
  +json     the reply as JSON
Exit 0 with an answer; 1 on NXDOMAIN, no data, or no nameserver answering; 2 on bad usage.`;

const dig: Command = {
  summary: 'look up a DNS name, like dig (same +short output)',
  usage,
  async run(argv, io) {
    const args = parseDigArgs(argv);
    let nameservers: Nameserver[];
    if (args.server !== undefined) {
      try {
        const ns = parseNameserver(args.server);
        nameservers = [args.port !== undefined ? parseNameserver(formatHostPort(ns.address, args.port)) : ns];
      } catch (err) {
        throw new UsageError(`@${args.server}: ${(err as Error).message}`);
      }
    } else {
      nameservers = await readResolvConf();
      const port = args.port;
      if (port !== undefined) nameservers = nameservers.map((ns) => parseNameserver(formatHostPort(ns.address, port)));
    }
    const what = `${typeName(args.type)} ${args.name}`;
    let result: LookupResult;
    try {
      result = await lookup(args.name, args.type, { nameservers, timeoutMs: args.time * 1000, tries: args.tries, tcp: args.tcp, backoffMs: 50, signal: io.signal });
    } catch (err) {
      if (err instanceof InvalidNameError) throw new UsageError(err.message);
      if (err instanceof LookupFailedError) {
        const why = err.timedOut ? 'connection timed out; no servers could be reached' : 'no nameserver answered';
        io.stderr.write(`herald dig: ${what}: ${why} (${err.attempts.map((x) => `${x.nameserver} ${x.reason}`).join(', ')})\n`);
        return 1;
      }
      throw err;
    }
    if (args.json) io.stdout.write(JSON.stringify(resultJson(result), null, 2) + '\n');
    else if (args.short) io.stdout.write(result.answers.map((r) => rdataText(r) + '\n').join(''));
    else io.stdout.write(fullText(result, argv.join(' '), new Date()));
    if (result.rcode !== Rcode.NOERROR) {
      io.stderr.write(`herald dig: ${what}: ${result.status} from ${result.nameserver}\n`);
      return 1;
    }
    if (result.answers.length === 0) {
      io.stderr.write(`herald dig: ${what}: no ${typeName(args.type)} records (NOERROR, no data) from ${result.nameserver}\n`);
      return 1;
    }
    return 0;
  },
};

export default dig;
