import { createSocket, type Socket } from 'node:dgram';
import { decodeMessage, encodeMessage, emptyMessage, RecordType } from '../../src/dns/index.ts';

export type HostileMode = 'tricks-then-answer' | 'tricks-only' | 'silence';

/**
 * A UDP "nameserver" that misbehaves on purpose: to every query it sends a
 * reply with the wrong ID, one with the wrong question, garbage, and a good
 * reply from another source port; then (in `tricks-then-answer`) the real
 * answer, A 192.0.2.1. In `silence` it never answers.
 */
export class HostileResponder {
  readonly socket: Socket;
  readonly #other: Socket;
  mode: HostileMode;
  queries = 0;

  private constructor(mode: HostileMode) {
    this.mode = mode;
    this.socket = createSocket('udp4');
    this.#other = createSocket('udp4');
    this.socket.on('message', (msg, rinfo) => this.#answer(msg, rinfo.port, rinfo.address));
  }

  static async start(mode: HostileMode): Promise<HostileResponder> {
    const h = new HostileResponder(mode);
    await new Promise<void>((r) => h.socket.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => h.#other.bind(0, '127.0.0.1', r));
    return h;
  }

  get nameserver(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  #answer(msg: Buffer, port: number, address: string): void {
    this.queries++;
    if (this.mode === 'silence') return;
    const query = decodeMessage(msg);
    const q = query.questions[0]!;
    const reply = (id: number, name: string) => {
      const m = emptyMessage(id);
      m.qr = true; m.aa = true; m.rd = query.rd;
      m.questions.push({ name, type: q.type, class: 1 });
      m.answers.push({ name, type: RecordType.A, class: 1, ttl: 5, address: '192.0.2.1' });
      return encodeMessage(m);
    };
    this.socket.send(reply((query.id + 1) & 0xffff, q.name), port, address);
    this.socket.send(reply(query.id, 'evil.example.com'), port, address);
    this.socket.send(Buffer.concat([msg.subarray(0, 2), Buffer.from([0x84, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0, 0xc0, 0x0c])]), port, address);
    this.#other.send(reply(query.id, q.name), port, address);
    if (this.mode === 'tricks-then-answer') setTimeout(() => this.socket.send(reply(query.id, q.name), port, address), 20);
  }

  close(): void {
    this.socket.close();
    this.#other.close();
  }
}
