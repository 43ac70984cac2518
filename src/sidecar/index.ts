// The sidecar's public surface; src/index.ts re-exports it.
export { SidecarConfigError, ProbeError, DrainRequestError, AdminSocketError } from './errors.ts';
export { parseConfig, parseConfigText, registeredPorts } from './config.ts';
export type { SidecarConfig, RegistrationConfig, HealthCheckConfig, DrainConfig, ZooKeeperConfig, ParsedConfig, CheckSpec, InFlightSpec, StdoutMatch } from './config.ts';
export { hostRecord, serviceRecord, recordText, instanceAddress, longestTtl } from './records.ts';
