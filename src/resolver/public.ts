// The resolver's public surface, re-exported by src/index.ts.
export * from './errors.ts';
export { DnsClient, type DnsClientOptions, type Reply } from './dns-client.ts';
export { lookup, negativeTtl, type LookupOptions, type LookupResult, type NameserverOutcome } from './lookup.ts';
export { parseNameserver, parseNameservers, type Nameserver } from './nameserver.ts';
export { parseResolvConf, readResolvConf } from './resolv-conf.ts';
export { LATENCY_BUCKETS_MS, type NameserverStats } from './nameserver-stats.ts';
export { Resolver } from './resolver.ts';
export type { Backend, BackendSource, BackendsState } from './backend-source.ts';
export { StaticBackends } from './backend-source-static.ts';
export type { ResolverOptions } from './resolver-options.ts';
export type { ResolverStats } from './resolver-stats.ts';
export { bootstrapNameservers, type BootstrapOptions, type Bootstrapped } from './bootstrap.ts';
