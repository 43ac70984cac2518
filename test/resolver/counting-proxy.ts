import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { decodeMessage, typeName } from '../../src/dns/index.ts';

/**
 * A UDP relay in front of a real nameserver that counts the queries it sees
 * by type (`SRV`, `A`, ...), and can answer REFUSED itself for chosen types
 * (a binder that transiently refuses).
 */
export class CountingProxy {
  readonly counts = new Map<string, number>();
  refuse = new Set<string>();
  readonly #front: Socket;
  readonly #back: Socket;
  readonly #waiting = new Map<number, RemoteInfo>();
  readonly #upstreamPort: number;

  private constructor(upstreamPort: number) {
    this.#upstreamPort = upstreamPort;
    this.#front = createSocket('udp4');
    this.#back = createSocket('udp4');
    this.#front.on('message', (msg, rinfo) => {
      const type = typeName(decodeMessage(msg).questions[0]?.type ?? 0);
      this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
      if (this.refuse.has(type)) {
        const out = Buffer.from(msg);
        out[2] = 0x80 | (msg[2]! & 0x01); out[3] = 0x05; // QR, REFUSED
        this.#front.send(out, rinfo.port, rinfo.address);
        return;
      }
      this.#waiting.set(msg.readUInt16BE(0), rinfo);
      this.#back.send(msg, upstreamPort, '127.0.0.1');
    });
    this.#back.on('message', (msg) => {
      const to = this.#waiting.get(msg.readUInt16BE(0));
      if (!to) return;
      this.#waiting.delete(msg.readUInt16BE(0));
      this.#front.send(msg, to.port, to.address);
    });
  }

  static async start(upstreamPort: number): Promise<CountingProxy> {
    const p = new CountingProxy(upstreamPort);
    await new Promise<void>((r) => p.#front.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => p.#back.bind(0, '127.0.0.1', r));
    return p;
  }

  get nameserver(): string {
    return `127.0.0.1:${this.#front.address().port}`;
  }

  count(type: string): number {
    return this.counts.get(type) ?? 0;
  }

  get upstreamPort(): number {
    return this.#upstreamPort;
  }

  close(): void {
    this.#front.close();
    this.#back.close();
  }
}
