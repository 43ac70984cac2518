import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Cluster, heraldRun } from '../e2e/harness.ts';

export const RESTART_CMD = fileURLToPath(new URL('./restart-cmd.ts', import.meta.url));

export interface Restart { instance: string; address: string; env: Record<string, string | undefined>; at: number; ok: boolean; /** How long the restart took. */ ms?: number }

/**
 * The test's side of the roll's CMD: restarts the named instance of the
 * cluster (service and sidecar) and logs every call — the CMD log.
 */
export class Control {
  readonly log: Restart[] = [];
  /** Instances whose update fails (CMD exits non-zero). */
  readonly failing = new Set<string>();
  /** Held before answering: a slow update. */
  delayMs = 0;
  /** What an update restarts: the service process only (fast), or the whole instance, sidecar too (a rebuilt zone). */
  restart: 'service' | 'instance' = 'service';
  onRestart: ((instance: string) => void) | undefined;
  url = '';
  readonly #server: Server;

  constructor(cluster: Cluster) {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => {
        void (async () => {
          const r = JSON.parse(body) as { instance: string; address: string; env: Record<string, string | undefined> };
          const ok = !this.failing.has(r.instance);
          const entry: Restart = { ...r, at: Date.now(), ok };
          this.log.push(entry);
          this.onRestart?.(r.instance);
          if (!ok) { res.writeHead(500).end('the update broke'); return; }
          if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
          const i = cluster.instance(r.instance);
          if (this.restart === 'instance') {
            await i.stop();
            await i.start();
          } else {
            await i.service.stop(5000);
            await i.service.start();
          }
          entry.ms = Date.now() - entry.at;
          res.writeHead(200).end('ok');
        })().catch((err: Error) => res.writeHead(500).end(err.message));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
    return this;
  }

  command(): string[] {
    return ['--', process.execPath, RESTART_CMD, this.url, '{instance}', '{address}'];
  }

  restarts(instance: string): number {
    return this.log.filter((r) => r.instance === instance).length;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

/**
 * The whole set-up of a roll test: the cluster under load, the control
 * server, and `roll(args)` running `herald roll` against them to its end.
 */
export async function rollCluster(t: { teardown(fn: () => unknown): void }, ttl: number): Promise<{
  c: Cluster; control: Control; roll: (args: string[], timeoutMs?: number) => Promise<{ code: number | null; stdout: string; stderr: string }>;
  rollArgs: string[];
}> {
  const c = await Cluster.start({ rps: 300, ttl, sessionTimeoutMs: 3000, oneByOne: true });
  t.teardown(() => c.stop());
  const control = await new Control(c).start();
  t.teardown(() => control.stop());
  const rollArgs = ['roll', '--zk', c.connectString, '--nameservers', c.nameservers.join(','), '--session-timeout', '2000'];
  return { c, control, rollArgs, roll: (args, timeoutMs = 90_000) => heraldRun([...rollArgs, ...args], timeoutMs) };
}
