import t from 'tap';
import { validatePath } from '../../src/registry/path.ts';

t.test('validatePath refuses relative and empty segments, and only those', async (t) => {
  for (const bad of ['/a/./b', '/a/../b', '/a/.', '/a/..', '/.', '/..', '/a//b', '/a/', 'a/b', '']) t.throws(() => validatePath(bad), { code: 'HERALD_INVALID_ARGUMENT' }, bad);
  for (const good of ['/', '/a', '/a/...', '/a/.../b', '/a/.b', '/a/b.', '/a/..b/c', '/.a', '/us/joyent/coal/moray']) t.doesNotThrow(() => validatePath(good), good);
});
