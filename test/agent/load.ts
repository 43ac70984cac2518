// A bounded load loop for the agent tests.
import { request, type Dispatcher } from 'undici';

export interface LoadResult {
  ok: number;
  failed: Array<{ id: string; error: Error }>;
  statuses: Map<number, number>;
  latencies: number[];
  /** The response body of each success, in the order of `latencies`. */
  bodies: string[];
  succeededIds: string[];
}

/** Sends `count` requests with `concurrency` in flight, each with an x-request-id; stops early once `until()` is true. */
export async function load(agent: Dispatcher, opts: { count: number; concurrency: number; method?: string; body?: string; prefix?: string; path?: string; deadlineMs?: number; until?: () => boolean }): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, failed: [], statuses: new Map(), latencies: [], bodies: [], succeededIds: [] };
  const deadline = Date.now() + (opts.deadlineMs ?? 20_000);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.count && Date.now() < deadline && !opts.until?.()) {
      const id = `${opts.prefix ?? 'r'}-${next++}`;
      const start = performance.now();
      try {
        const res = await request(`http://service.test${opts.path ?? '/'}`, { dispatcher: agent, method: (opts.method ?? 'GET') as 'GET', headers: { 'x-request-id': id }, body: opts.body ?? null });
        const body = await res.body.text();
        result.latencies.push(performance.now() - start);
        result.bodies.push(body);
        result.statuses.set(res.statusCode, (result.statuses.get(res.statusCode) ?? 0) + 1);
        result.ok++;
        result.succeededIds.push(id);
      } catch (error) {
        result.failed.push({ id, error: error as Error });
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return result;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
