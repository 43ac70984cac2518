// The sidecar folder's API for the rest of src/: the names other folders use.
// Not `export * from './public.ts'` as other folders do: the users' surface
// holds `SidecarMetrics`, and loading it loads prom-client, which
// `herald sidecar` loads only for --metrics (cli/sidecar.ts imports
// metrics.ts lazily, one file past this index).
export { SidecarConfigError } from './errors.ts';
export { parseConfig, parseConfigText, type SidecarConfig } from './config.ts';
export { askPresence, presencePlan } from './presence.ts';
export { listenAdmin } from './admin-socket.ts';
export { Sidecar } from './sidecar.ts';
