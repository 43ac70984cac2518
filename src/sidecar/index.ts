// The sidecar folder's API for the rest of src/: what users get (public.ts,
// which src/index.ts re-exports) and what other folders use inside.
export * from './public.ts';
export { presencePlan } from './presence.ts';
