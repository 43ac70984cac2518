// Writes registrar-shaped records into ZooKeeper fast, for the scale and
// churn benches: a raw node-zookeeper-client session (not Herald's store)
// with many requests in flight at once, as many registrars would write.
import zookeeper, { type Client, type ZkError } from 'node-zookeeper-client';

const { CreateMode, Exception } = zookeeper;

export function serviceJson(srvce: string, port: number, ttl = 60): string {
  return JSON.stringify({ type: 'service', service: { type: 'service', service: { srvce, proto: '_tcp', port, ttl } } });
}

export function hostJson(address: string, port: number, ttl = 30): string {
  return JSON.stringify({ type: 'load_balancer', address, ttl, load_balancer: { address, ports: [port] } });
}

/** The address of instance `i` (10.x.y.z, unique up to 16M instances). */
export function addressOf(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/** Whether `err` is ZooKeeper's NODE_EXISTS (a create of a node that is there). */
export function isNodeExists(err: unknown): boolean {
  return (err as Partial<ZkError> | null)?.getCode?.() === Exception.NODE_EXISTS;
}

export class ZkWriter {
  readonly #client: Client;

  private constructor(client: Client) { this.#client = client; }

  static async open(connect: string, sessionTimeout = 30_000): Promise<ZkWriter> {
    const client = zookeeper.createClient(connect, { sessionTimeout });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('ZooKeeper did not connect in 10 s')), 10_000);
      client.once('connected', () => { clearTimeout(timer); resolve(); });
      client.connect();
    });
    return new ZkWriter(client);
  }

  /** Creates a node; an existing one is left as it is when `exists` is 'keep'. */
  create(path: string, data: string | null, ephemeral: boolean, exists: 'keep' | 'fail' = 'fail'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#client.create(path, data === null ? null : Buffer.from(data), ephemeral ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT, (err: ZkError | null) => {
        if (err && !(exists === 'keep' && isNodeExists(err))) reject(err);
        else resolve();
      });
    });
  }

  /** Creates `path` and its missing parents as persistent nodes (the last with `data`). */
  async mkdirp(path: string, data: string | null = null): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) await this.create('/' + parts.slice(0, i).join('/'), null, false, 'keep');
    await this.create(path, data, false, 'keep');
  }

  remove(path: string): Promise<void> {
    return new Promise((resolve, reject) => this.#client.remove(path, -1, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Follows the children of `path` as a bare ZooKeeper client does (a child
   * watch, re-armed on every event): the floor of watch propagation, beside
   * which a server's is measured. Stops when `stop()` is called.
   */
  watchChildren(path: string, onChildren: (children: string[]) => void): { stop(): void } {
    let stopped = false;
    const read = (): void => {
      if (stopped) return;
      this.#client.getChildren(path, () => read(), (err, children) => { if (!err && !stopped) onChildren(children); });
    };
    read();
    return { stop() { stopped = true; } };
  }

  /**
   * Reads `path`'s child list as a bare client does (a child watch, re-armed
   * and the list read again at every event) until `done` holds for it:
   * `armed` once the first watch is set (a write after it is seen), `seen`
   * the time (performance.now()) the list that satisfies `done` arrived.
   * Rejects after `timeoutMs`.
   */
  childrenUntil(path: string, done: (children: string[]) => boolean, timeoutMs = 5000): { armed: Promise<void>; seen: Promise<number> } {
    let armed!: () => void;
    const armedP = new Promise<void>((r) => { armed = r; });
    const seen = new Promise<number>((resolve, reject) => {
      let over = false;
      const timer = setTimeout(() => { over = true; reject(new Error(`${path}: children not as expected in ${timeoutMs} ms`)); }, timeoutMs);
      const read = (): void => {
        if (over) return;
        this.#client.getChildren(path, () => read(), (err, children) => {
          armed();
          if (over) return;
          if (err) { over = true; clearTimeout(timer); reject(err); return; }
          if (done(children)) { over = true; clearTimeout(timer); resolve(performance.now()); }
        });
      };
      read();
    });
    return { armed: armedP, seen };
  }

  /** Runs `tasks` with at most `concurrency` in flight. */
  static async pool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }));
  }

  close(): void { this.#client.close(); }
}
