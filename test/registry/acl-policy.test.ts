import t from 'tap';
import { inspect } from 'node:util';
import { aclFor, permString, type AclPolicy } from '../../src/registry/acl-policy.ts';
import { Credentials, digestId, parseCredentials } from '../../src/registry/credentials.ts';

t.test('digest ids are ZooKeeper\'s: user:base64(sha1(user:password))', async (t) => {
  // The example of ZooKeeper's administrator guide (super:admin).
  t.equal(digestId('super', 'admin'), 'super:xQJmxLMiHGwaqBvst5y6rkB6HQs=');
});

t.test('credentials parse one user:password line and never show the password', async (t) => {
  const c = parseCredentials('web:s3cret:with:colons\n', 'f');
  t.equal(c.user, 'web');
  t.equal(c.authBytes().toString(), 'web:s3cret:with:colons');
  t.ok(c.matches('web:s3cret:with:colons'));
  t.notOk(c.matches('web:s3cret'));
  for (const shown of [JSON.stringify(c), inspect(c), String(c), `${inspect({ c })}`]) t.notMatch(shown, 's3cret');
  t.throws(() => parseCredentials('nocolon', 'f'), { code: 'HERALD_CREDENTIALS_FILE' });
  t.throws(() => parseCredentials('web:', 'f'), { code: 'HERALD_CREDENTIALS_FILE', message: /password is empty/ });
  t.throws(() => parseCredentials('a:b\nc:d', 'f'), { code: 'HERALD_CREDENTIALS_FILE' });
  try { parseCredentials(' bad user:hunter2', 'f'); } catch (err) { t.notMatch((err as Error).message, 'hunter2'); }
  t.type(new Credentials('u', 'p').digestId, 'string');
});

const policy: AclPolicy = { admins: ['admin:A'], operators: ['ops:O'], sidecars: ['web:W', 'db:D'], leaseWorkers: ['cron:C'] };
const show = (path: string, kind: 'dir' | 'persistent' | 'ephemeral', self = 'web:W', p: AclPolicy | null = policy) =>
  aclFor(path, kind, p ?? undefined, self).map((e) => `${e.id}=${permString(e.perms)}`).join(' ');

t.test('the tree policy: who may create, change and delete where', async (t) => {
  t.equal(show('/herald/drain/us/joyent', 'dir', 'ops:O'), 'anyone=r admin:A=rwcda ops:O=rcd');
  t.equal(show('/herald/drain/us/joyent/web/web-1', 'persistent', 'ops:O'), 'anyone=r admin:A=rwcda ops:O=rwcd');
  t.equal(show('/herald/status/us/joyent', 'dir'), 'anyone=r admin:A=rwcda web:W=rc db:D=rc', 'sidecars add statuses; none may delete them');
  t.equal(show('/herald/status/us/joyent/web/web-1', 'persistent'), 'anyone=r admin:A=rwcda web:W=rw', 'a status is its sidecar\'s');
  t.equal(show('/herald/lease/cron', 'dir', 'cron:C'), 'anyone=r admin:A=rwcda cron:C=rc', 'no DELETE: a holder\'s node cannot be deleted by another');
  t.equal(show('/herald/lease/cron/lease-1-0000000001', 'ephemeral', 'cron:C'), 'anyone=r admin:A=rwcda cron:C=rw');
  t.equal(show('/us/joyent/coal', 'dir'), 'anyone=r admin:A=rwcda web:W=rc db:D=rc');
  t.equal(show('/us/joyent/coal/web', 'persistent'), 'anyone=r admin:A=rwcda web:W=rwcd', 'a service node is its registrant\'s');
  t.equal(show('/us/joyent/coal/web/web-1', 'ephemeral'), 'anyone=r admin:A=rwcda web:W=rw');
  t.equal(show('/herald', 'dir', 'admin:A'), 'anyone=r admin:A=rwcda');
  t.equal(show('/us/joyent', 'dir', 'web:W', null), 'anyone=r web:W=rc', 'no policy yet: the creator stands in for its role');
});
