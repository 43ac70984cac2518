import { applyAcls, readPolicy, DRAIN_ROOT, HERALD_ROOT, LEASE_ROOT, POLICY_PATH, STATUS_ROOT, permString, type AclEntry, type AclPolicy, CredentialsFileError, readCredentialsFile, domainToPath, ZooKeeperStore } from '../registry/index.ts';
import { UsageError, type Command, type CommandIO, parseCommandLine } from './command.ts';
import { authOption, ZK_AUTH_OPTION, zkAuth } from './zk-auth.ts';

const usage = `usage: herald acl apply --zk HOSTS --zk-auth ADMIN_FILE [--operator ID]... [--sidecar ID]...
                       [--lease-worker ID]... [--admin ID]... [--zone DOMAIN]...
       herald acl show [--zk HOSTS] [--zone DOMAIN]...
       herald acl digest FILE

apply:  creates /herald and its subtrees with the ACL policy (src/registry/README.md)
        and records who is who in ${POLICY_PATH}; idempotent. The --zk-auth identity
        becomes an admin. --zone DOMAIN also locks the DNS path of DOMAIN and its
        ancestors (world read; sidecars create services under it).
show:   the policy and the ACL of each node it governs.
digest: prints FILE's identity as USER:DIGEST, to hand to an admin without the password.

ID is USER:DIGEST (as 'herald acl digest' prints it) or a user:password file.

  --zk HOSTS        ZooKeeper connect string (default $HERALD_ZK, else 127.0.0.1:2181)
  --zk-auth FILE    the admin's user:password file, mode 0600`;

const DIGEST_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}:[A-Za-z0-9+/]{27}=$/;

async function identity(value: string): Promise<string> {
  if (DIGEST_ID.test(value)) return value;
  try {
    return (await readCredentialsFile(value)).digestId;
  } catch (err) {
    if (err instanceof CredentialsFileError) throw new UsageError(`"${value}" is neither USER:DIGEST nor a usable credentials file: ${err.message}`);
    throw err;
  }
}

function parse(argv: string[]) {
  return parseCommandLine({
    args: argv,
    options: {
      zk: { type: 'string' }, ...ZK_AUTH_OPTION, zone: { type: 'string', multiple: true },
      operator: { type: 'string', multiple: true }, sidecar: { type: 'string', multiple: true },
      'lease-worker': { type: 'string', multiple: true }, admin: { type: 'string', multiple: true },
    },
    strict: true, allowPositionals: true,
  });
}

function openZk(zk: string | undefined, io: CommandIO, auth: Awaited<ReturnType<typeof zkAuth>>): ZooKeeperStore {
  const connect = zk ?? io.env['HERALD_ZK'] ?? '127.0.0.1:2181';
  if (connect.startsWith('memory://')) throw new UsageError('ACLs are ZooKeeper\'s: a memory registry is closed with --registry-token');
  return ZooKeeperStore.open({ connect, ...authOption(auth) });
}

async function apply(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parse(argv);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const auth = await zkAuth(values['zk-auth']);
  if (!auth) throw new UsageError('--zk-auth ADMIN_FILE is required');
  const ids = async (list: string[] | undefined): Promise<string[]> => Promise.all((list ?? []).map(identity));
  const policy: AclPolicy = {
    admins: [auth.digestId, ...(await ids(values.admin))],
    operators: await ids(values.operator),
    sidecars: await ids(values.sidecar),
    leaseWorkers: await ids(values['lease-worker']),
  };
  const zones = values.zone ?? [];
  for (const z of zones) { try { domainToPath(z); } catch (err) { throw new UsageError(`--zone: ${(err as Error).message}`); } }
  const store = openZk(values.zk, io, auth);
  try {
    await store.ready(10_000);
    const changes = await applyAcls(store, policy, zones);
    for (const c of changes) io.stdout.write(`${c.action.padEnd(9)} ${c.path}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

function aclLine(acl: readonly AclEntry[]): string {
  return acl.map((e) => `${e.scheme}:${e.scheme === 'digest' ? e.id.slice(0, e.id.indexOf(':')) : e.id}=${permString(e.perms)}`).join(' ');
}

function users(ids: readonly string[]): string {
  return ids.length ? ids.map((id) => id.slice(0, id.indexOf(':'))).join(', ') : '(none)';
}

async function show(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parse(argv);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const store = openZk(values.zk, io, await zkAuth(values['zk-auth']));
  try {
    await store.ready(10_000);
    const policy = await readPolicy(store);
    if (!policy) io.stdout.write(`no policy at ${POLICY_PATH}: the registry is open (herald acl apply)\n`);
    else {
      io.stdout.write(`admins:        ${users(policy.admins)}\noperators:     ${users(policy.operators)}\n`);
      io.stdout.write(`sidecars:      ${users(policy.sidecars)}\nlease workers: ${users(policy.leaseWorkers)}\n`);
    }
    const paths = [HERALD_ROOT, POLICY_PATH, DRAIN_ROOT, STATUS_ROOT, LEASE_ROOT, ...(values.zone ?? []).map(domainToPath)];
    for (const path of paths) {
      const acl = await store.getAcl(path);
      io.stdout.write(`${path.padEnd(16)} ${acl ? aclLine(acl) : '(absent)'}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

async function digest(argv: string[], io: CommandIO): Promise<number> {
  if (argv.length !== 1) throw new UsageError('digest takes one FILE');
  const auth = await zkAuth(argv[0]);
  io.stdout.write(`${auth!.digestId}\n`);
  return 0;
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'apply') return apply(rest, io);
  if (sub === 'show') return show(rest, io);
  if (sub === 'digest') return digest(rest, io);
  throw new UsageError(sub === undefined ? 'missing subcommand: apply, show or digest' : `unknown subcommand "${sub}": apply, show or digest`);
}

const acl: Command = { summary: 'ZooKeeper ACLs: who may drain, register and hold leases', usage, run };
export default acl;
