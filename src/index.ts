// Herald's public API: everything a library user imports comes from here.
export { HeraldError, InvalidArgumentError } from './errors.ts';
export * as dns from './dns/index.ts';
export type { Backend, BackendSource, BackendsState } from './resolver/backend-source.ts';
export { StaticBackends } from './resolver/backend-source-static.ts';
export * as registry from './registry/index.ts';
export * from './resolver/index.ts';
export * from './agent/index.ts';
export * from './lease/index.ts';
export * as operator from './operator/index.ts';
export * as server from './server/index.ts';
export * as sidecar from './sidecar/index.ts';
export * as drain from './drain/index.ts';
export * as roll from './roll/index.ts';
