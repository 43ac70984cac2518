import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { InFlightUnavailableError } from './errors.ts';
import { isNetstatTable, parseNetstatBsd, parseNetstatIllumos } from './netstat.ts';
import { readTcpSockets, type TcpSocket } from './proc-net-tcp.ts';

/** Where this host's TCP connections are read from: `method` says how, for the start-up log. */
export interface TcpTable {
  method: string;
  read(): Promise<TcpSocket[]>;
}

export interface TcpTableOptions {
  /** The netstat to run. @default the first of /usr/bin/netstat, /usr/sbin/netstat, /bin/netstat that exists, else `netstat` on PATH */
  netstat?: string;
  /** Kill netstat after this long. @default 5000 */
  timeoutMs?: number;
}

const BSDS = ['darwin', 'freebsd', 'openbsd', 'netbsd', 'dragonfly'];

/**
 * The way to list TCP connections on `platform`: /proc/net/tcp{,6} on Linux,
 * `netstat -an -P tcp` on illumos (`sunos`), `netstat -an -p tcp` on the
 * BSDs and macOS. Throws InFlightUnavailableError where there is none.
 */
export function tcpTable(platform: NodeJS.Platform | string = process.platform, options: TcpTableOptions = {}): TcpTable {
  if (platform === 'linux') return { method: '/proc/net/tcp and /proc/net/tcp6', read: () => readTcpSockets() };
  const flavour = platform === 'sunos' ? 'illumos' : BSDS.includes(platform) ? 'bsd' : undefined;
  if (flavour === undefined) throw new InFlightUnavailableError(`no connection table is known on ${platform}`);
  const netstat = options.netstat ?? ['/usr/bin/netstat', '/usr/sbin/netstat', '/bin/netstat'].find((p) => existsSync(p)) ?? 'netstat';
  const args = flavour === 'illumos' ? ['-an', '-P', 'tcp'] : ['-an', '-p', 'tcp'];
  const parse = flavour === 'illumos' ? parseNetstatIllumos : parseNetstatBsd;
  const method = `${netstat} ${args.join(' ')}`;
  return {
    method,
    read: () => new Promise((resolve, reject) => {
      execFile(netstat, args, { timeout: options.timeoutMs ?? 5000, maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) => {
        if (err) reject(new InFlightUnavailableError(`${method}: ${err.message.split('\n')[0]}`, { cause: err }));
        else if (stdout.trim() !== '' && !isNetstatTable(stdout, flavour)) reject(new InFlightUnavailableError(`${method}: output not understood`));
        else resolve(parse(stdout));
      });
    }),
  };
}
