import type { TcpSocket } from './proc-net-tcp.ts';

// netstat's socket tables, where there is no /proc/net/tcp. Both families
// write an endpoint as ADDRESS.PORT (the port after the last dot; `*` for
// any), so IPv6 addresses keep their colons:
//
// illumos/SmartOS `netstat -an -P tcp`: one section per family, headed
//   `TCP: IPv4` / `TCP: IPv6`, then a column header and a dashed rule; rows
//   are `local remote swind send-q rwind recv-q state` (IPv6 adds an `If`
//   column after the state, often empty).
// FreeBSD, macOS, OpenBSD, NetBSD `netstat -an -p tcp`: a title line, a
//   `Proto Recv-Q Send-Q Local Address Foreign Address (state)` header, rows
//   `tcp4|tcp6|tcp46|tcp proto recv-q send-q local foreign state`; macOS
//   appends more columns with -v (ignored), and shortens long IPv6 addresses
//   (the port survives: only the local port is counted).

/** The state names both print, as the Linux state numbers TcpSocket holds. */
const STATES: Record<string, number> = {
  ESTABLISHED: 1, SYN_SENT: 2, SYN_RECEIVED: 3, SYN_RCVD: 3, FIN_WAIT_1: 4, FIN_WAIT_2: 5, TIME_WAIT: 6,
  CLOSED: 7, CLOSE_WAIT: 8, LAST_ACK: 9, LISTEN: 10, CLOSING: 11, BOUND: 7, IDLE: 7,
};

/** `10.0.0.1.8080`, `::1.8080`, `*.8080`, `*.*` → address and port ('' and 0 for `*`). */
function endpoint(text: string | undefined): { address: string; port: number } | undefined {
  if (text === undefined) return undefined;
  const dot = text.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const address = text.slice(0, dot);
  const portText = text.slice(dot + 1);
  if (portText !== '*' && !/^\d{1,5}$/.test(portText)) return undefined;
  const port = portText === '*' ? 0 : Number(portText);
  return port > 65535 ? undefined : { address: address === '*' ? '' : address, port };
}

function socket(local: string | undefined, remote: string | undefined, state: string | undefined): TcpSocket | undefined {
  const l = endpoint(local);
  const r = endpoint(remote);
  const st = state === undefined ? undefined : STATES[state];
  if (!l || !r || st === undefined) return undefined;
  return { localAddress: l.address, localPort: l.port, remoteAddress: r.address, remotePort: r.port, state: st };
}

/** illumos `netstat -an -P tcp` (both families' sections; other protocols' sections are skipped). */
export function parseNetstatIllumos(text: string): TcpSocket[] {
  const out: TcpSocket[] = [];
  let inTcp = false;
  for (const line of text.split('\n')) {
    const section = /^(\w+): IPv[46]\s*$/.exec(line.trim());
    if (section) { inTcp = section[1] === 'TCP'; continue; }
    if (!inTcp) continue;
    const f = line.trim().split(/\s+/);
    // local remote swind send-q rwind recv-q state [if]
    const s = f.length >= 7 ? socket(f[0], f[1], f[6]) : undefined;
    if (s) out.push(s);
  }
  return out;
}

/** FreeBSD / macOS / OpenBSD / NetBSD `netstat -an -p tcp`. */
export function parseNetstatBsd(text: string): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (!/^tcp(4|6|46)?$/.test(f[0] ?? '')) continue;
    // proto recv-q send-q local foreign state
    const s = socket(f[3], f[4], f[5]);
    if (s) out.push(s);
  }
  return out;
}

/** Whether `text` looks like the table `parse` reads (its header is there), so a changed format is an error, not "0 in flight". */
export function isNetstatTable(text: string, flavour: 'illumos' | 'bsd'): boolean {
  return flavour === 'illumos'
    ? /^\s*Local Address\s+Remote Address\s+Swind/m.test(text)
    : /^\s*Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address/m.test(text);
}
