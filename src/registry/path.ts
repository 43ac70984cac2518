import { normalizeName } from '../dns/index.ts';
import { InvalidArgumentError } from '../errors.ts';

/**
 * `moray.coal.joyent.us` → `/us/joyent/coal/moray` (BINDER.md §1): lower
 * case, labels reversed. Throws `InvalidNameError` for names DNS cannot carry.
 */
export function domainToPath(domain: string): string {
  const name = normalizeName(domain);
  if (name === '') return '/';
  return '/' + name.split('.').reverse().join('/');
}

/** `/us/joyent/coal/moray` → `moray.coal.joyent.us`; `/` → ''. */
export function pathToDomain(path: string): string {
  validatePath(path);
  if (path === '/') return '';
  return path.slice(1).split('/').reverse().join('.');
}

/** Checks a znode path: absolute, no empty segments, no trailing slash. */
export function validatePath(path: string): void {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new InvalidArgumentError(`path ${JSON.stringify(path)} must start with "/"`);
  if (path === '/') return;
  if (path.endsWith('/') || path.includes('//')) throw new InvalidArgumentError(`path ${JSON.stringify(path)} has an empty segment`);
  // A `.` or `..` segment, found without splitting: this runs on every read a mirror makes and every node a zone indexes.
  if (path.includes('/./') || path.includes('/../') || path.endsWith('/.') || path.endsWith('/..')) throw new InvalidArgumentError(`path ${JSON.stringify(path)} has a relative segment`);
}

/** `/a/b/c` → `/a/b`; `/a` → `/`. */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** `/a` + `b` → `/a/b`. */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** Every ancestor of `path` from the top, excluding `/` and the path itself. */
export function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push('/' + parts.slice(0, i).join('/'));
  return out;
}

/** True when `path` is `root` or below it. */
export function isUnder(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(root + '/');
}
