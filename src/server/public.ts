export { DnsServer, type DnsServerOptions } from './server.ts';
export { registerServerMetrics } from './metrics.ts';
export { answer, soa, type Answer } from './answer.ts';
export { buildZone, type Zone, type ZoneEntry } from './zone.ts';
export { parseListen, type ListenAddress } from '../host-port.ts';
export { InvalidListenAddressError, ListenError } from './errors.ts';
export type { ServerStats } from './stats.ts';
export { RRL_DEFAULTS, type RrlOptions } from './rrl.ts';
