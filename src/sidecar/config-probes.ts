import { SidecarConfigError } from './errors.ts';
import {
  join, object, oneOf, optBool, optInt, optPorts, optString, string, warnUnknown, type Json,
} from './config-fields.ts';

/** registrar's `stdoutMatch`: the check fails unless stdout matches (or, inverted, unless it does not). */
export interface StdoutMatch {
  pattern: string;
  flags?: string;
  invert: boolean;
}

export type CheckSpec =
  | { kind: 'command'; command: string; ignoreExitStatus: boolean; stdoutMatch?: StdoutMatch }
  | { kind: 'http'; url: string; statuses: number[]; bodyMatch?: StdoutMatch }
  | { kind: 'tcp'; host: string; port: number };

export type InFlightSpec =
  | { kind: 'connections'; ports: number[] }
  | { kind: 'http'; url: string; field?: string }
  | { kind: 'command'; command: string }
  | { kind: 'none' };

/** One of `command` (registrar), `http` or `tcp` (Herald) inside `healthCheck`. */
export function parseCheck(hc: Json, p: string, warnings: string[]): CheckSpec {
  const kind = oneOf(hc, ['command', 'http', 'tcp'], p);
  if (kind === undefined) throw new SidecarConfigError(`${p}.command`, `a command, or ${p}.http or ${p}.tcp`);
  if (kind === 'command') {
    const spec: CheckSpec = { kind, command: string(hc, 'command', p), ignoreExitStatus: optBool(hc, 'ignoreExitStatus', p) ?? false };
    const match = parseMatch(hc['stdoutMatch'], `${p}.stdoutMatch`, warnings);
    if (match) spec.stdoutMatch = match;
    return spec;
  }
  if (hc['stdoutMatch'] !== undefined || hc['ignoreExitStatus'] !== undefined) {
    throw new SidecarConfigError(`${p}.stdoutMatch`, `nothing: stdoutMatch and ignoreExitStatus apply to ${p}.command only`);
  }
  if (kind === 'http') {
    const value = hc['http'];
    const http = typeof value === 'string' ? { url: value } : object(value, `${p}.http`);
    const hp = `${p}.http`;
    warnUnknown(http, hp, ['url', 'statuses', 'bodyMatch'], warnings);
    const url = httpUrl(string(http, 'url', hp), `${hp}.url`);
    const statuses = http['statuses'] === undefined ? [] : statusList(http['statuses'], `${hp}.statuses`);
    const spec: CheckSpec = { kind, url, statuses };
    const match = parseMatch(http['bodyMatch'], `${hp}.bodyMatch`, warnings);
    if (match) spec.bodyMatch = match;
    return spec;
  }
  const tcp = object(hc['tcp'], `${p}.tcp`);
  const tp = `${p}.tcp`;
  warnUnknown(tcp, tp, ['host', 'port'], warnings);
  const portNo = optInt(tcp, 'port', tp, 1, 65535, 'a port');
  if (portNo === undefined) throw new SidecarConfigError(`${tp}.port`, 'a port number from 1 to 65535');
  return { kind, host: optString(tcp, 'host', tp) ?? '127.0.0.1', port: portNo };
}

function parseMatch(value: unknown, field: string, warnings: string[]): StdoutMatch | undefined {
  if (value === undefined) return undefined;
  const m = object(value, field);
  warnUnknown(m, field, ['pattern', 'flags', 'invert'], warnings);
  const pattern = optString(m, 'pattern', field);
  // registrar skips matching when there is no pattern; so do we.
  if (pattern === undefined) return undefined;
  const flags = optString(m, 'flags', field);
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    throw new SidecarConfigError(join(field, 'pattern'), `a valid regular expression with its flags (${(err as Error).message})`);
  }
  const out: StdoutMatch = { pattern, invert: optBool(m, 'invert', field) ?? false };
  if (flags !== undefined) out.flags = flags;
  return out;
}

function httpUrl(text: string, field: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SidecarConfigError(field, 'an http:// or https:// URL', text);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SidecarConfigError(field, 'an http:// or https:// URL', text);
  return url.href;
}

function statusList(value: unknown, field: string): number[] {
  if (!Array.isArray(value) || value.length === 0) throw new SidecarConfigError(field, 'a non-empty array of HTTP status codes', value);
  return value.map((s, i) => {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 100 || s > 599) throw new SidecarConfigError(`${field}[${i}]`, 'an HTTP status code', s);
    return s;
  });
}

/**
 * `drain.inFlight`: `{connections: {ports}}` (default: the registered ports),
 * `{http: {url, field}}`, `{command: "..."}`, or `"none"`.
 */
export function parseInFlight(value: unknown, defaultPorts: number[], warnings: string[]): InFlightSpec {
  const p = 'drain.inFlight';
  if (value === 'none') return { kind: 'none' };
  if (value === undefined) return defaultPorts.length ? { kind: 'connections', ports: defaultPorts } : { kind: 'none' };
  const o = object(value, p);
  const kind = oneOf(o, ['connections', 'http', 'command'], p);
  warnUnknown(o, p, ['connections', 'http', 'command'], warnings);
  if (kind === undefined) throw new SidecarConfigError(p, 'one of connections, http, command, or "none"');
  if (kind === 'connections') {
    const c = o['connections'] === true ? {} : object(o['connections'], `${p}.connections`);
    const ports = optPorts(c, 'ports', `${p}.connections`) ?? defaultPorts;
    if (ports.length === 0) throw new SidecarConfigError(`${p}.connections.ports`, 'ports to count connections on (none are registered)');
    return { kind, ports };
  }
  if (kind === 'http') {
    const h = typeof o['http'] === 'string' ? { url: o['http'] } : object(o['http'], `${p}.http`);
    const spec: InFlightSpec = { kind, url: httpUrl(string(h, 'url', `${p}.http`), `${p}.http.url`) };
    const field = optString(h, 'field', `${p}.http`);
    if (field !== undefined) spec.field = field;
    return spec;
  }
  return { kind, command: string(o, 'command', p) };
}
