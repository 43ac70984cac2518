import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { normalizeName } from '../dns/index.ts';
import { parseListen } from '../host-port.ts';
import { SidecarConfigError } from './errors.ts';
import {
  isObject, join, object, optInt, optObject, optPorts, optString, optStrings, port, string, warnUnknown,
  type Json,
} from './config-fields.ts';
import { parseCheck, parseInFlight, type CheckSpec, type InFlightSpec } from './config-probes.ts';
import { parseSingleton, type SingletonConfig } from './config-singleton.ts';

export type { CheckSpec, InFlightSpec, StdoutMatch } from './config-probes.ts';

const DAY = 86_400_000;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
// Types binder serves (BINDER.md §1); another type is written as asked, with a warning.
const KNOWN_TYPES = ['host', 'db_host', 'load_balancer', 'moray_host', 'redis_host', 'ops_host', 'rr_host'];

export interface RegistrationConfig {
  /** Normalized (lower case, no trailing dot). */
  domain: string;
  type: string;
  aliases: string[];
  ttl?: number;
  ports?: number[];
  heartbeatInterval: number;
  /** registrar's `registration.service`, kept verbatim (key order included). */
  service?: Json;
}

export interface HealthCheckConfig {
  check: CheckSpec;
  interval: number;
  timeout: number;
  /** Consecutive successes before (re-)registering. Herald extension. */
  rise: number;
  /** Consecutive failures before unregistering; registrar's `threshold`. */
  fall: number;
}

export interface DrainConfig {
  /** Default drain deadline (ms) when the request names none. */
  deadline: number;
  /** Deadline of the short drain on SIGTERM/SIGINT (ms). */
  signalDeadline: number;
  /** Added to the longest record TTL before in-flight work is waited for (ms). */
  ttlMargin: number;
  pollInterval: number;
  lookupTimeout: number;
  nameservers?: string[];
  bootstrap?: string;
  inFlight: InFlightSpec;
}

export interface ZooKeeperConfig {
  servers: { host: string; port: number }[];
  /** Session timeout (ms). */
  timeout: number;
  connectTimeout: number;
  /** A `user:password` file (mode 0600) for ZooKeeper digest auth (src/registry/README.md, ACLs). */
  authFile?: string;
}

export interface SidecarConfig {
  registration: RegistrationConfig;
  adminIp?: string;
  /** The host node's name; registrar uses the hostname (the zone UUID in Triton). */
  instance: string;
  healthCheck?: HealthCheckConfig;
  zookeeper?: ZooKeeperConfig;
  logLevel: (typeof LOG_LEVELS)[number];
  drain: DrainConfig;
  adminSocket?: string;
  metrics?: string;
  /** Run a command only while this instance holds a lease (src/lease). */
  singleton?: SingletonConfig;
}

export interface ParsedConfig {
  config: SidecarConfig;
  /** One line per ignored or doubtful field; the CLI logs them at start. */
  warnings: string[];
}

/** Parses registrar's config text (accepted verbatim) with Herald's extensions. */
export function parseConfigText(text: string): ParsedConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SidecarConfigError('(config)', `JSON (${(err as Error).message})`);
  }
  return parseConfig(json);
}

export function parseConfig(input: unknown): ParsedConfig {
  const warnings: string[] = [];
  const root = object(input, '(config)');
  // `maxAttempts` is in registrar's own sample config (etc/config.coal.json) and read by nothing: accepted, unused.
  warnUnknown(root, '', ['registration', 'adminIp', 'instance', 'healthCheck', 'zookeeper', 'logLevel', 'drain', 'adminSocket', 'metrics', 'singleton', 'maxAttempts'], warnings);
  const regJson = object(root['registration'], 'registration');
  const registration = parseRegistration(regJson, warnings);
  // registrar takes `registration.adminIp` first, then the top-level `adminIp`.
  const adminIp = address(regJson, 'registration') ?? address(root, '');
  const instance = optString(root, 'instance', '') ?? hostname();
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(instance) || instance.length > 63) {
    throw new SidecarConfigError('instance', 'one DNS label (letters, digits, "-", "_")', instance);
  }
  const hc = optObject(root, 'healthCheck', '');
  const zk = optObject(root, 'zookeeper', '');
  const logLevel = optString(root, 'logLevel', '') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new SidecarConfigError('logLevel', `one of ${LOG_LEVELS.join(', ')}`, logLevel);
  const drainJson = optObject(root, 'drain', '') ?? {};
  const config: SidecarConfig = {
    registration,
    instance,
    logLevel: logLevel as SidecarConfig['logLevel'],
    drain: parseDrain(drainJson, registration, warnings),
  };
  if (adminIp !== undefined) config.adminIp = adminIp;
  if (hc) config.healthCheck = parseHealthCheck(hc, warnings);
  if (zk) config.zookeeper = parseZooKeeper(zk, warnings);
  const adminSocket = optString(root, 'adminSocket', '');
  if (adminSocket !== undefined) config.adminSocket = adminSocket;
  const metrics = optString(root, 'metrics', '');
  if (metrics !== undefined) config.metrics = listenField(metrics, 'metrics');
  if (root['singleton'] !== undefined) config.singleton = parseSingleton(root['singleton'], warnings);
  return { config, warnings };
}

function address(obj: Json, parent: string): string | undefined {
  const value = optString(obj, 'adminIp', parent);
  if (value !== undefined && isIP(value) === 0) throw new SidecarConfigError(join(parent, 'adminIp'), 'an IPv4 or IPv6 address', value);
  return value;
}

/** `ADDR:PORT` checked now, so a bad value is a config error (exit 2), not a failure after registering. */
function listenField(value: string, field: string): string {
  try {
    parseListen(value, 9154);
  } catch (err) {
    throw new SidecarConfigError(field, `ADDR:PORT or [IPv6]:PORT (${(err as Error).message})`, value);
  }
  return value;
}

function domain(value: string, field: string): string {
  try {
    return normalizeName(value);
  } catch (err) {
    throw new SidecarConfigError(field, `a DNS name (${(err as Error).message})`);
  }
}

function parseRegistration(reg: Json, warnings: string[]): RegistrationConfig {
  const p = 'registration';
  warnUnknown(reg, p, ['domain', 'type', 'aliases', 'ttl', 'ports', 'heartbeatInterval', 'service', 'adminIp'], warnings);
  const out: RegistrationConfig = {
    domain: domain(string(reg, 'domain', p), 'registration.domain'),
    type: string(reg, 'type', p),
    aliases: (optStrings(reg, 'aliases', p) ?? []).map((a, i) => domain(a, `registration.aliases[${i}]`)),
    heartbeatInterval: optInt(reg, 'heartbeatInterval', p, 100, DAY, 'milliseconds') ?? 30_000,
  };
  if (!KNOWN_TYPES.includes(out.type)) warnings.push(`registration.type: "${out.type}" is not a type binder serves (${KNOWN_TYPES.join(', ')})`);
  const ttl = optInt(reg, 'ttl', p, 0, 2_147_483_647, 'seconds');
  if (ttl !== undefined) out.ttl = ttl;
  const ports = optPorts(reg, 'ports', p);
  if (ports !== undefined) out.ports = ports;
  if (reg['service'] !== undefined) out.service = parseService(reg['service'], warnings);
  // Neither ports nor a service (registrar's own sample, type "host"): the host
  // record carries no ports, `{"type":"host","address":A,"host":{"address":A}}`.
  return out;
}

// The service object is written verbatim; only what binder reads is checked.
function parseService(value: unknown, warnings: string[]): Json {
  const outer = object(value, 'registration.service');
  const inner = object(outer['service'], 'registration.service.service');
  const p = 'registration.service.service';
  // registrar requires only strings here; without the "_" the SRV name is unusual, not unservable.
  for (const key of ['srvce', 'proto']) {
    const label = string(inner, key, p);
    if (!label.startsWith('_')) warnings.push(`${p}.${key}: "${label}" does not start with "_" (SRV names are _service._proto.<domain>)`);
  }
  port(inner['port'], `${p}.port`);
  optInt(inner, 'ttl', p, 0, 2_147_483_647, 'seconds');
  optInt(outer, 'ttl', 'registration.service', 0, 2_147_483_647, 'seconds');
  return outer;
}

function parseHealthCheck(hc: Json, warnings: string[]): HealthCheckConfig {
  const p = 'healthCheck';
  warnUnknown(hc, p, ['command', 'http', 'tcp', 'ignoreExitStatus', 'stdoutMatch', 'interval', 'timeout', 'threshold', 'period', 'rise', 'fall'], warnings);
  const threshold = optInt(hc, 'threshold', p, 1, 1000, 'a count');
  const fall = optInt(hc, 'fall', p, 1, 1000, 'a count');
  if (threshold !== undefined && fall !== undefined && threshold !== fall) {
    throw new SidecarConfigError('healthCheck.fall', `the same value as healthCheck.threshold (${threshold}), or only one of them`, fall);
  }
  // registrar clears its failure count every `period`; Herald counts consecutive results instead.
  optInt(hc, 'period', p, 1, DAY, 'milliseconds');
  const interval = optInt(hc, 'interval', p, 10, DAY, 'milliseconds') ?? 60_000;
  const timeout = optInt(hc, 'timeout', p, 1, DAY, 'milliseconds') ?? 1_000;
  return {
    check: parseCheck(hc, p, warnings),
    interval,
    timeout,
    rise: optInt(hc, 'rise', p, 1, 1000, 'a count') ?? 1,
    fall: fall ?? threshold ?? 5,
  };
}

function parseZooKeeper(zk: Json, warnings: string[]): ZooKeeperConfig {
  const p = 'zookeeper';
  warnUnknown(zk, p, ['servers', 'timeout', 'connectTimeout', 'authFile'], warnings);
  const authFile = optString(zk, 'authFile', p);
  const servers = zk['servers'];
  if (!Array.isArray(servers) || servers.length === 0) throw new SidecarConfigError('zookeeper.servers', 'a non-empty array of {host, port}', servers);
  return {
    servers: servers.map((s, i) => {
      const field = `zookeeper.servers[${i}]`;
      const o = object(s, field);
      warnUnknown(o, field, ['host', 'port'], warnings);
      return { host: string(o, 'host', field), port: port(o['port'], `${field}.port`) };
    }),
    timeout: optInt(zk, 'timeout', p, 100, DAY, 'milliseconds') ?? 60_000,
    connectTimeout: optInt(zk, 'connectTimeout', p, 100, DAY, 'milliseconds') ?? 4_000,
    ...(authFile === undefined ? {} : { authFile }),
  };
}

function parseDrain(d: Json, reg: RegistrationConfig, warnings: string[]): DrainConfig {
  const p = 'drain';
  warnUnknown(d, p, ['deadline', 'signalDeadline', 'ttlMargin', 'pollInterval', 'lookupTimeout', 'nameservers', 'bootstrap', 'inFlight'], warnings);
  const out: DrainConfig = {
    deadline: optInt(d, 'deadline', p, 0, DAY, 'milliseconds') ?? 300_000,
    signalDeadline: optInt(d, 'signalDeadline', p, 0, DAY, 'milliseconds') ?? 5_000,
    ttlMargin: optInt(d, 'ttlMargin', p, 0, DAY, 'milliseconds') ?? 2_000,
    pollInterval: optInt(d, 'pollInterval', p, 10, 60_000, 'milliseconds') ?? 250,
    lookupTimeout: optInt(d, 'lookupTimeout', p, 10, 60_000, 'milliseconds') ?? 1_000,
    inFlight: parseInFlight(d['inFlight'], registeredPorts(reg), warnings),
  };
  // With both, `nameservers` are where the bootstrap SRV is asked (its seed).
  const list = optStrings(d, 'nameservers', p);
  if (list) {
    if (list.length === 0) throw new SidecarConfigError('drain.nameservers', 'at least one nameserver');
    list.forEach((ns, i) => checkNameserver(ns, `drain.nameservers[${i}]`));
    out.nameservers = list;
  }
  if (d['bootstrap'] !== undefined) out.bootstrap = domain(string(d, 'bootstrap', p), 'drain.bootstrap');
  return out;
}

/** The ports clients reach: registrar's `ports`, else the service port. */
export function registeredPorts(reg: RegistrationConfig): number[] {
  if (reg.ports) return reg.ports;
  const inner = reg.service?.['service'];
  return isObject(inner) && typeof inner['port'] === 'number' ? [inner['port']] : [];
}

function checkNameserver(ns: string, field: string): void {
  // ip, ip:port, [v6]:port
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(ns) ?? /^([^:]+)(?::(\d+))?$/.exec(ns);
  const host = m?.[1] ?? ns;
  const portText = m?.[2];
  if (isIP(host) === 0 || (portText !== undefined && (Number(portText) < 1 || Number(portText) > 65535))) {
    throw new SidecarConfigError(field, 'an address with an optional port ("10.0.0.1", "127.0.0.1:5353", "[::1]:53")', ns);
  }
}
