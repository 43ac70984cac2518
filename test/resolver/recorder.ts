import type { Backend, BackendsState, Resolver } from '../../src/index.ts';
import { waitFor } from '../fixtures/wait.ts';

export interface Recorded {
  kind: 'added' | 'removed' | 'updated';
  key?: string;
  state?: BackendsState;
  at: number;
}

/** Records every event a resolver emits, with its time. */
export class Recorder {
  readonly events: Recorded[] = [];

  constructor(resolver: Resolver) {
    resolver.on('added', (b: Backend) => this.events.push({ kind: 'added', key: b.key, at: performance.now() }));
    resolver.on('removed', (b: Backend) => this.events.push({ kind: 'removed', key: b.key, at: performance.now() }));
    resolver.on('updated', (state: BackendsState) => this.events.push({ kind: 'updated', state, at: performance.now() }));
  }

  of(kind: Recorded['kind'], after = 0): Recorded[] {
    return this.events.filter((e) => e.kind === kind && e.at >= after);
  }

  /** Resolves with the first `updated` state (after `after`) that satisfies `test`. */
  async updated(test: (s: BackendsState) => boolean, timeoutMs: number, after = 0): Promise<BackendsState> {
    const e = await waitFor('an updated event', () => this.of('updated', after).find((x) => test(x.state!)), timeoutMs, 10);
    return e.state!;
  }
}

export const keys = (s: BackendsState): string[] => s.backends.map((b) => b.key).sort();
