import { readFile } from 'node:fs/promises';
import { compressIPv6 } from '../dns/index.ts';

// Linux /proc/net/tcp and /proc/net/tcp6: one socket per line, addresses in
// hex. IPv4 is one 32-bit word and IPv6 four, each in host byte order
// (little-endian here); ports are big-endian hex. `st` 01 is ESTABLISHED.

export const TCP_ESTABLISHED = 1;

export interface TcpSocket {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: number;
}

export function parseProcNetTcp(text: string): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [local, remote, st] = [fields[1], fields[2], fields[3]];
    if (!local || !remote || !st) continue;
    const l = endpoint(local);
    const r = endpoint(remote);
    if (!l || !r) continue;
    out.push({ localAddress: l.address, localPort: l.port, remoteAddress: r.address, remotePort: r.port, state: parseInt(st, 16) });
  }
  return out;
}

function endpoint(text: string): { address: string; port: number } | undefined {
  const [hex, portHex] = text.split(':');
  if (!hex || !portHex) return undefined;
  const port = parseInt(portHex, 16);
  if (hex.length === 8) return { address: wordBytes(hex).join('.'), port };
  if (hex.length === 32) {
    const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8)));
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
    return { address: compressIPv6(groups.join(':')), port };
  }
  return undefined;
}

// One little-endian 32-bit word → its bytes in network order.
function wordBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  return bytes;
}

/** Established connections whose local port is one of `ports` (the instance's served ports). */
export function countEstablished(sockets: TcpSocket[], ports: readonly number[]): number {
  return sockets.filter((s) => s.state === TCP_ESTABLISHED && ports.includes(s.localPort)).length;
}

/** Reads both tables; a missing tcp6 (IPv6 disabled) counts as empty. */
export async function readTcpSockets(root = '/proc/net'): Promise<TcpSocket[]> {
  const read = (f: string) => readFile(`${root}/${f}`, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' && f === 'tcp6') return '';
    throw err;
  });
  const [v4, v6] = await Promise.all([read('tcp'), read('tcp6')]);
  return [...parseProcNetTcp(v4), ...parseProcNetTcp(v6)];
}
