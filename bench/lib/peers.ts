// The other authoritative servers a bench compares `herald serve` with, each
// started on a loopback port with a throw-away config and its rate limiting
// off: Knot (`knotd`), NSD and unbound (local-data, no recursion). They serve
// the records of a zone file body given relative to its origin, as BIND does
// in test/fixtures/bind.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeQuery, RecordType } from '../../src/dns/index.ts';
import { freePort } from '../../test/fixtures/ports.ts';
import { reapOnExit } from '../../test/fixtures/reap.ts';
import { waitFor } from '../../test/fixtures/wait.ts';
import { createSocket } from 'node:dgram';

export interface PeerServer {
  readonly name: string;
  readonly port: number;
  stop(): Promise<void>;
}


function zoneFile(origin: string, records: string): string {
  return `$ORIGIN ${origin}.
$TTL 60
@ IN SOA ns.${origin}. hostmaster.${origin}. 1 86400 7200 1209600 60
@ IN NS ns.${origin}.
ns IN A 127.0.0.1
${records}
`;
}

/** A zone-file line with its owner and any name in its data made absolute (unbound's local-data wants them so). */
function absoluteRecord(line: string, origin: string): string {
  const fields = line.trim().split(/\s+/);
  const fqdn = (n: string) => (n === '@' ? `${origin}.` : n.endsWith('.') ? n : `${n}.${origin}.`);
  fields[0] = fqdn(fields[0]!);
  const typeAt = fields.findIndex((f, i) => i > 0 && /^(A|AAAA|SRV|NS|PTR|CNAME|SOA)$/.test(f));
  const type = fields[typeAt];
  if (type === 'SRV' || type === 'NS' || type === 'PTR' || type === 'CNAME') fields[fields.length - 1] = fqdn(fields.at(-1)!);
  return fields.join(' ');
}

/** True once the server answers an SOA query for the origin over UDP. */
async function answers(port: number, origin: string): Promise<boolean> {
  const socket = createSocket('udp4');
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300);
      socket.once('message', (msg) => { clearTimeout(timer); resolve((msg[3]! & 0x0f) === 0); });
      socket.once('error', () => { clearTimeout(timer); resolve(false); });
      socket.send(encodeQuery({ id: 7, name: origin, type: RecordType.SOA, rd: false }), port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** The Debian package of each peer's command. */
const PACKAGES: Record<string, string> = { knotd: 'knot', nsd: 'nsd', unbound: 'unbound', named: 'bind9' };

async function startProcess(name: string, origin: string, dir: string, port: number, command: string, args: string[]): Promise<PeerServer> {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  reapOnExit(child);
  let log = '';
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (err) => { spawnError = err; });
  child.stderr!.on('data', (chunk: Buffer) => { log = (log + chunk.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    // A server that never started or has exited ends the wait at once.
    await waitFor(`${name} to answer on ${port}`, () => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null || answers(port, origin), 15_000, 100);
    if (spawnError?.code === 'ENOENT') throw new Error(`${command} is not installed: npm run bench installs it (as root), or apt-get install ${PACKAGES[command] ?? command}`);
    if (spawnError) throw spawnError;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited ${child.exitCode ?? child.signalCode}:\n${log}`);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    name, port,
    async stop() {
      if (child.exitCode === null) { child.kill('SIGTERM'); await exited; }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Knot DNS, `threads` UDP workers (one per CPU by default), no RRL module loaded (Knot's default). */
export async function startKnot(origin: string, records: string, threads = availableParallelism()): Promise<PeerServer> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-knot-'));
  const port = await freePort();
  await writeFile(join(dir, `${origin}.zone`), zoneFile(origin, records));
  await writeFile(join(dir, 'knot.conf'), `server:
  rundir: "${dir}"
  listen: 127.0.0.1@${port}
  udp-workers: ${threads}
  tcp-workers: 1
  background-workers: 1
database:
  storage: "${dir}"
log:
  - target: stderr
    any: warning
zone:
  - domain: ${origin}
    storage: "${dir}"
    file: "${origin}.zone"
`);
  return startProcess('knotd', origin, dir, port, 'knotd', ['-c', join(dir, 'knot.conf')]);
}

/** NSD, `threads` server processes (one per CPU by default) with SO_REUSEPORT, rate limiting off. */
export async function startNsd(origin: string, records: string, threads = availableParallelism()): Promise<PeerServer> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-nsd-'));
  const port = await freePort();
  await writeFile(join(dir, `${origin}.zone`), zoneFile(origin, records));
  await writeFile(join(dir, 'nsd.conf'), `server:
  ip-address: 127.0.0.1
  port: ${port}
  server-count: ${threads}
  reuseport: yes
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  pidfile: "${dir}/nsd.pid"
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: ${origin}
  zonefile: ${origin}.zone
`);
  return startProcess('nsd', origin, dir, port, 'nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
}

/** unbound answering the same records as local-data (authoritative-style, no recursion), `threads` threads, ratelimit off. */
export async function startUnbound(origin: string, records: string, threads = availableParallelism()): Promise<PeerServer> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-unbound-'));
  const port = await freePort();
  const lines = zoneFile(origin, records).split('\n')
    .filter((l) => l.trim() && !l.startsWith('$'))
    .map((l) => `  local-data: "${absoluteRecord(l, origin)}"`);
  await writeFile(join(dir, 'unbound.conf'), `server:
  interface: 127.0.0.1@${port}
  port: ${port}
  num-threads: ${threads}
  so-reuseport: yes
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 0
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  ratelimit: 0
  ip-ratelimit: 0
  module-config: "iterator"
  local-zone: "${origin}." static
${lines.join('\n')}
remote-control:
  control-enable: no
`);
  return startProcess('unbound', origin, dir, port, 'unbound', ['-d', '-c', join(dir, 'unbound.conf')]);
}
