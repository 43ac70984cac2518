// One UDP socket that asks a loopback server a question at a time, for the
// benches that poll an answer until it changes.
import { createSocket, type Socket } from 'node:dgram';
import { decodeMessage, encodeQuery, type Message } from '../../src/dns/index.ts';

export class UdpAsker {
  readonly #socket: Socket;
  readonly #port: number;
  #id = 0;

  private constructor(socket: Socket, port: number) { this.#socket = socket; this.#port = port; }

  static async open(port: number): Promise<UdpAsker> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    return new UdpAsker(socket, port);
  }

  /** The decoded reply, or undefined after `timeoutMs` or on a reply that does not decode. */
  ask(name: string, type: number, timeoutMs = 200): Promise<Message | undefined> {
    const id = (this.#id = (this.#id + 1) & 0xffff);
    return new Promise((resolve) => {
      const done = (m: Message | undefined) => { clearTimeout(timer); this.#socket.off('message', onMessage); resolve(m); };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const onMessage = (buf: Buffer) => {
        if (buf.readUInt16BE(0) !== id) return;
        try { done(decodeMessage(buf)); } catch { done(undefined); }
      };
      this.#socket.on('message', onMessage);
      this.#socket.send(encodeQuery({ id, name, type }), this.#port, '127.0.0.1');
    });
  }

  close(): void { this.#socket.close(); }
}

/** The p-th percentile of ascending-sorted `xs`. */
export function percentile(xs: readonly number[], p: number): number {
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))]!;
}
