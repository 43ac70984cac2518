import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { decodeMessage, emptyMessage, encodeMessage, type Message, type ResourceRecord } from '../../src/dns/index.ts';

/** What the script sends back for one query: whole messages, or raw bytes. */
export type Replies = (Message | Buffer)[];
export type Script = (query: Message, via: 'udp' | 'tcp') => Replies;

/**
 * A nameserver that answers from a script, on UDP and TCP at one loopback
 * port: it lets a test send what no real server would (TC over TCP, answers
 * for another name, bursts of wrong IDs). It records each UDP query's source
 * port.
 */
export class ScriptedServer {
  readonly udp: Socket;
  readonly tcp: Server;
  readonly #conns = new Set<TcpSocket>();
  script: Script;
  readonly sourcePorts: number[] = [];
  queries = { udp: 0, tcp: 0 };

  private constructor(script: Script) {
    this.script = script;
    this.udp = createSocket('udp4');
    this.tcp = createServer((c) => this.#accept(c));
    this.udp.on('message', (msg, rinfo) => {
      this.queries.udp++;
      this.sourcePorts.push(rinfo.port);
      for (const out of this.script(decodeMessage(msg), 'udp')) this.udp.send(Buffer.isBuffer(out) ? out : encodeMessage(out), rinfo.port, rinfo.address);
    });
  }

  static async start(script: Script): Promise<ScriptedServer> {
    // UDP picks the port; TCP takes the same one, which is now and then already taken: try again.
    for (let attempt = 0; ; attempt++) {
      const s = new ScriptedServer(script);
      await new Promise<void>((r) => s.udp.bind(0, '127.0.0.1', r));
      const ok = await new Promise<boolean>((r) => {
        s.tcp.once('error', (err) => { if (attempt >= 20) throw err; r(false); });
        s.tcp.listen(s.udp.address().port, '127.0.0.1', () => r(true));
      });
      if (ok) return s;
      s.udp.close();
    }
  }

  get nameserver(): string {
    return `127.0.0.1:${this.udp.address().port}`;
  }

  #accept(c: TcpSocket): void {
    this.#conns.add(c);
    c.on('close', () => this.#conns.delete(c));
    c.on('error', () => c.destroy());
    let buf = Buffer.alloc(0);
    c.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        this.queries.tcp++;
        for (const out of this.script(decodeMessage(msg), 'tcp')) {
          const wire = Buffer.isBuffer(out) ? out : encodeMessage(out);
          const frame = Buffer.alloc(2 + wire.length);
          frame.writeUInt16BE(wire.length, 0);
          wire.copy(frame, 2);
          c.write(frame);
        }
      }
    });
  }

  close(): void {
    this.udp.close();
    for (const c of this.#conns) c.destroy();
    this.tcp.close();
  }
}

/** A reply to `query` (same ID and question) with the given sections and flags. */
export function replyTo(query: Message, fields: Partial<Message> & { answers?: ResourceRecord[] } = {}): Message {
  const m = emptyMessage(query.id);
  m.qr = true;
  m.aa = true;
  m.rd = query.rd;
  m.questions = query.questions.map((q) => ({ ...q }));
  return Object.assign(m, fields);
}
