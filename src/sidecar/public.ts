// The sidecar's public surface; src/index.ts re-exports it as `sidecar`.
// What a user builds a sidecar from: its config, the Sidecar itself, the
// probes it runs (to use or replace), the drain state machine over any
// actions, and the admin socket. Helpers the sidecar uses inside (record
// builders, health counting, connection-table parsers, presence planning)
// stay inside: import them from their files in tests. `SidecarMetrics` is
// here for a library user's `new Sidecar({ metrics })`; the CLI imports the
// sidecar's files directly, so `herald sidecar` loads prom-client only for
// --metrics.
export { SidecarConfigError, ProbeError, InFlightUnavailableError } from './errors.ts';
export { DrainRequestError, AdminSocketError, adminRequest, type AdminRequest } from '../drain/index.ts';
export { parseConfig, parseConfigText } from './config.ts';
export type { SidecarConfig, RegistrationConfig, HealthCheckConfig, DrainConfig, ZooKeeperConfig, ParsedConfig, CheckSpec, InFlightSpec, StdoutMatch } from './config.ts';
export { createCheck, type Check, type CheckResult } from './checks.ts';
export { createInFlightProbe, type InFlightProbe } from './in-flight.ts';
export { tcpTable, type TcpTable, type TcpTableOptions } from './tcp-table.ts';
export type { TcpSocket } from './proc-net-tcp.ts';
export { runDrain, type DrainActions, type DrainOptions } from './drain.ts';
export { askPresence } from './presence.ts';
export { Registration, type RegistrationNodes, type OwnedNode, type RegistrationOptions } from './registration.ts';
export { listenAdmin } from './admin-socket.ts';
export { Sidecar, type SidecarOptions } from './sidecar.ts';
export { SidecarMetrics } from './metrics.ts';
