// The sidecar's public surface; src/index.ts re-exports it.
export { SidecarConfigError, ProbeError, InFlightUnavailableError, DrainRequestError, AdminSocketError } from './errors.ts';
export { parseConfig, parseConfigText, registeredPorts } from './config.ts';
export type { SidecarConfig, RegistrationConfig, HealthCheckConfig, DrainConfig, ZooKeeperConfig, ParsedConfig, CheckSpec, InFlightSpec, StdoutMatch } from './config.ts';
export { hostRecord, serviceRecord, recordText, instanceAddress, longestTtl } from './records.ts';
export { createCheck, judgeCommand, type Check, type CheckResult } from './checks.ts';
export { observe as observeHealth, INITIAL_HEALTH, type HealthCount, type Thresholds, type Transition } from './health-counter.ts';
export { HealthMonitor } from './health-monitor.ts';
export { createInFlightProbe, describeInFlight, parseCount, type InFlightProbe } from './in-flight.ts';
export { parseProcNetTcp, countEstablished, readTcpSockets, type TcpSocket } from './proc-net-tcp.ts';
export { parseNetstatIllumos, parseNetstatBsd } from './netstat.ts';
export { tcpTable, type TcpTable, type TcpTableOptions } from './tcp-table.ts';
export { runDrain, type DrainActions, type DrainOptions } from './drain.ts';
export { presencePlan, judgePresence, askPresence, createPresenceProbe, drainNameservers, type PresencePlan } from './presence.ts';
export { Registration, type RegistrationNodes, type OwnedNode, type RegistrationOptions } from './registration.ts';
export { listenAdmin, adminRequest, type AdminRequest } from './admin-socket.ts';
export { SidecarMetrics } from './metrics.ts';
export { Sidecar, type SidecarOptions } from './sidecar.ts';
