import type { NameserverReply } from '../../src/operator/answers.ts';
import type { Tree, TreeNode } from '../../src/operator/tree.ts';
import type { RegistryView } from '../../src/operator/view.ts';

/** A tree from `path → data` (ephemeral when the path is in `ephemeral`); parents get their children listed. */
export function tree(nodes: Record<string, string | null>, ephemeral: string[] = []): Tree {
  const out = new Map<string, TreeNode>();
  for (const [path, data] of Object.entries(nodes)) {
    out.set(path, { path, data, ephemeral: ephemeral.includes(path), children: [] });
    // Missing ancestors exist with null data, as readTree would find them.
    for (let p = path.slice(0, path.lastIndexOf('/')); p !== ''; p = p.slice(0, p.lastIndexOf('/'))) {
      if (!out.has(p) && !(p in nodes)) out.set(p, { path: p, data: null, ephemeral: false, children: [] });
    }
  }
  for (const path of out.keys()) {
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    const p = out.get(parent);
    if (p && parent !== path && !p.children.includes(path.slice(path.lastIndexOf('/') + 1))) p.children.push(path.slice(path.lastIndexOf('/') + 1));
  }
  for (const n of out.values()) n.children.sort();
  return out;
}

export function view(dns: Tree, status: Tree = new Map(), drain: Tree = new Map()): RegistryView {
  return { domain: 'coal.joyent.us', dns, status, drain, readAt: 0 };
}

export const SERVICE_JSON = '{"type":"service","service":{"type":"service","service":{"srvce":"_http","proto":"_tcp","port":80,"ttl":60}}}';
export const host = (address: string, ttl = 30): string => JSON.stringify({ type: 'load_balancer', address, ttl, load_balancer: { address, ports: [8080] } });

export function srvReply(nameserver: string, instances: string[], status = 'NOERROR'): NameserverReply {
  return {
    nameserver, answered: true, status, additionals: [],
    answers: instances.map((i) => ({ name: '_http._tcp.web.coal.joyent.us', type: 'SRV', ttl: 60, data: `0 10 8080 ${i}.web.coal.joyent.us.` })),
  };
}

export function silent(nameserver: string): NameserverReply {
  return { nameserver, answered: false, status: 'NO ANSWER', answers: [], additionals: [], error: 'timeout' };
}
