// The lease folder's API for the rest of src/: what users get (public.ts,
// which src/index.ts re-exports) and what other folders use inside.
export * from './public.ts';
export { exitStatus } from './command.ts';
export { SingletonSwitch } from './singleton-switch.ts';
