// The Prometheus scrape endpoint `herald serve` and `herald sidecar` offer
// with --metrics: GET /metrics, anything else 404.
import { createServer, type Server } from 'node:http';
import { formatHostPort, type ListenAddress } from './host-port.ts';

/** What the endpoint reads: a prom-client `Registry` has exactly this. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsEndpoint {
  server: Server;
  /** `http://ADDR:PORT/metrics` with the port really bound. */
  url: string;
}

/** Listens at `at` (port 0 picks one); rejects with the listen error (a busy port: EADDRINUSE). */
export function serveMetrics(source: MetricsSource, at: ListenAddress): Promise<MetricsEndpoint> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') { res.writeHead(404).end(); return; }
    source.metrics().then((text) => res.writeHead(200, { 'content-type': source.contentType }).end(text), () => res.writeHead(500).end());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.address, () => {
      server.off('error', reject);
      const port = (server.address() as { port: number }).port;
      resolve({ server, url: `http://${formatHostPort(at.address, port)}/metrics` });
    });
  });
}
