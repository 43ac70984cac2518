import { HeraldError } from '../errors.ts';

/**
 * The sidecar's configuration is not what was expected. `field` is the dotted
 * path of the offending value (`healthCheck.interval`), so the one-line
 * message and programs alike can point at it.
 */
export class SidecarConfigError extends HeraldError {
  readonly field: string;
  // `got` is optional and may itself be undefined ("got nothing"), hence the rest parameter.
  constructor(field: string, expected: string, ...got: [unknown?]) {
    const shown = got.length === 0 ? '' : `, got ${describe(got[0])}`;
    super('HERALD_SIDECAR_CONFIG', `${field}: expected ${expected}${shown}`);
    this.field = field;
  }
}

/** A health check or in-flight probe could not be run at all (not: it failed). */
export class ProbeError extends HeraldError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HERALD_SIDECAR_PROBE', message, options);
  }
}

/**
 * Established connections cannot be counted here (no /proc/net/tcp, no
 * netstat that Herald reads): the drain needs another in-flight probe.
 */
export class InFlightUnavailableError extends HeraldError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('HERALD_SIDECAR_IN_FLIGHT_UNAVAILABLE', `cannot count connections in flight: ${reason}; configure drain.inFlight as {"http": {"url": ...}} or {"command": "..."} (or "none")`, options);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
