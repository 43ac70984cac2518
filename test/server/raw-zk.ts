import zookeeper, { type Client, type ZkError } from 'node-zookeeper-client';

/**
 * An independent ZooKeeper client (node-zookeeper-client used directly, not
 * Herald's store), for writing the znodes another tool would: whatever JSON
 * and names it is given, unchecked.
 */
export class RawZk {
  readonly #client: Client;

  private constructor(client: Client) {
    this.#client = client;
  }

  static async connect(connectString: string): Promise<RawZk> {
    const client = zookeeper.createClient(connectString, { sessionTimeout: 20_000 });
    await new Promise<void>((resolve) => { client.once('connected', () => resolve()); client.connect(); });
    return new RawZk(client);
  }

  /** Creates the node (parents with null data, as registrar leaves them) or overwrites its data. */
  async put(path: string, data: string | null): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = '/' + parts.slice(0, i).join('/');
      const value = i === parts.length && data !== null ? Buffer.from(data) : null;
      const err = await new Promise<ZkError | null>((r) => this.#client.create(p, value, zookeeper.CreateMode.PERSISTENT, (e) => r(e)));
      if (err && err.getCode() !== zookeeper.Exception.NODE_EXISTS) throw err;
      if (err && i === parts.length) {
        const e2 = await new Promise<ZkError | null>((r) => this.#client.setData(p, value, -1, (e) => r(e)));
        if (e2) throw e2;
      }
    }
  }

  /** Many children of one existing parent, written in parallel. */
  async putMany(nodes: [string, string][]): Promise<void> {
    await Promise.all(nodes.map(([p, d]) => new Promise<void>((resolve, reject) => this.#client.create(p, Buffer.from(d), zookeeper.CreateMode.PERSISTENT, (e) => (e ? reject(e) : resolve())))));
  }

  close(): void {
    this.#client.close();
  }
}
