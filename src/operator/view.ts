import { domainToPath, type Store } from '../registry/index.ts';
import { DRAIN_ROOT, STATUS_ROOT } from '../drain/index.ts';
import { RegistryReadError } from './errors.ts';
import { readTree, type Tree } from './tree.ts';

/**
 * Everything the operator commands read from the registry, at one moment:
 * the DNS subtree (service and host records), and Herald's own subtrees
 * beside it (drain intents and sidecar status).
 */
export interface RegistryView {
  /** The domain asked about, normalized; '' for the whole registry. */
  domain: string;
  dns: Tree;
  status: Tree;
  drain: Tree;
  /** `Date.now()` when the read began. */
  readAt: number;
}

const under = (root: string, path: string): string => (path === '/' ? root : `${root}${path}`);

/** Waits for the session (bounded), then reads the three subtrees. */
export async function readRegistryView(store: Store, domain: string, connectTimeoutMs: number): Promise<RegistryView> {
  const readAt = Date.now();
  try {
    await store.ready(connectTimeoutMs);
  } catch (err) {
    throw new RegistryReadError(`no session within ${connectTimeoutMs} ms (${(err as Error).message})`);
  }
  const path = domain.replace(/\.$/, '') === '' ? '/' : domainToPath(domain);
  const skip = ['/zookeeper', '/herald'];
  try {
    const [dns, status, drain] = await Promise.all([
      readTree(store, path, skip),
      readTree(store, under(STATUS_ROOT, path)),
      readTree(store, under(DRAIN_ROOT, path)),
    ]);
    return { domain: path === '/' ? '' : path.slice(1).split('/').reverse().join('.'), dns, status, drain, readAt };
  } catch (err) {
    throw new RegistryReadError((err as Error).message);
  }
}
