// Herald's public API: everything a library user imports comes from here.
export { HeraldError, InvalidArgumentError } from './errors.ts';
export * as dns from './dns/index.ts';
export * as registry from './registry/public.ts';
export * from './resolver/public.ts';
export * from './agent/index.ts';
export * from './lease/public.ts';
export * as operator from './operator/public.ts';
export * as server from './server/public.ts';
export * as sidecar from './sidecar/public.ts';
export * as drain from './drain/index.ts';
export * as roll from './roll/index.ts';
