import { SidecarConfigError } from './errors.ts';

// Small readers for one JSON object's fields. Each names the full dotted path
// in its error, so a bad config is reported as one precise line.

export type Json = Record<string, unknown>;

export function join(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function object(value: unknown, field: string): Json {
  if (!isObject(value)) throw new SidecarConfigError(field, 'an object', value);
  return value;
}

export function optObject(obj: Json, key: string, parent: string): Json | undefined {
  const value = obj[key];
  return value === undefined ? undefined : object(value, join(parent, key));
}

/** Warns about every key not in `known`: registrar ignored them, so do we, loudly. */
export function warnUnknown(obj: Json, parent: string, known: readonly string[], warnings: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) warnings.push(`${join(parent, key)}: unknown field, ignored`);
  }
}

export function optString(obj: Json, key: string, parent: string): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new SidecarConfigError(join(parent, key), 'a non-empty string', value);
  return value;
}

export function string(obj: Json, key: string, parent: string): string {
  const value = optString(obj, key, parent);
  if (value === undefined) throw new SidecarConfigError(join(parent, key), 'a non-empty string');
  return value;
}

export function optBool(obj: Json, key: string, parent: string): boolean | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new SidecarConfigError(join(parent, key), 'true or false', value);
  return value;
}

/** An integer in [min, max]; `what` says the unit ("milliseconds", "a port"). */
export function optInt(obj: Json, key: string, parent: string, min: number, max: number, what: string): number | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SidecarConfigError(join(parent, key), `${what}: an integer from ${min} to ${max}`, value);
  }
  return value;
}

export function port(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new SidecarConfigError(field, 'a port number from 1 to 65535', value);
  }
  return value;
}

export function optPorts(obj: Json, key: string, parent: string): number[] | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  const field = join(parent, key);
  if (!Array.isArray(value) || value.length === 0) throw new SidecarConfigError(field, 'a non-empty array of port numbers', value);
  return value.map((p, i) => port(p, `${field}[${i}]`));
}

export function optStrings(obj: Json, key: string, parent: string): string[] | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  const field = join(parent, key);
  if (!Array.isArray(value)) throw new SidecarConfigError(field, 'an array of strings', value);
  return value.map((s, i) => {
    if (typeof s !== 'string' || s === '') throw new SidecarConfigError(`${field}[${i}]`, 'a non-empty string', s);
    return s;
  });
}

/** One of the listed keys at most; returns which, if any. */
export function oneOf<K extends string>(obj: Json, keys: readonly K[], parent: string): K | undefined {
  const present = keys.filter((k) => obj[k] !== undefined);
  if (present.length > 1) {
    throw new SidecarConfigError(join(parent, present[1] as string), `only one of ${keys.map((k) => join(parent, k)).join(', ')}`);
  }
  return present[0];
}
