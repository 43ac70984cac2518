// The three functions of underscore that node-zookeeper-client calls, for
// the single executable only (sea.ts aliases `underscore` here): the library
// is 68 KB of source, held as 133 KB because it is not all ASCII, for these.
// test/package/sea-shims.test.ts checks them against underscore itself and
// that the client calls nothing else.

const isObject = (value: unknown): value is Record<string, unknown> => (typeof value === 'object' && value !== null) || typeof value === 'function';

/** A shallow copy: an array's items, or an object's enumerable keys, its prototype's included. */
export function clone<T>(value: T): T {
  if (!isObject(value)) return value;
  if (Array.isArray(value)) return value.slice() as T;
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = value[key];
  return copy as T;
}

/** Fills `object`'s undefined keys from each of `sources`, the first that has one winning. */
export function defaults<T extends object>(object: T, ...sources: object[]): T {
  const target = object as Record<string, unknown>;
  for (const source of sources) {
    if (!isObject(source)) continue;
    for (const key in source) if (target[key] === undefined) target[key] = source[key];
  }
  return object;
}

/** A copy of `items` in a random order (Fisher-Yates). */
export function shuffle<T>(items: T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
