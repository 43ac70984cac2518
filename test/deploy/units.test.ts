// deploy/: the systemd units checked by systemd-analyze verify, the SMF
// manifests as well-formed XML with the service_bundle structure, and both
// consistent with the sidecar's drain on SIGTERM.
import t from 'tap';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseConfigText } from '../../src/sidecar/config.ts';
import { installCommands } from '../package/readme.ts';
import { parseXml, serviceBundleProblems, type XmlElement } from './service-bundle.ts';

const run = promisify(execFile);
const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const INSTALLED = '/usr/local/bin/herald';
// The sidecar's SIGTERM drain, as a config that sets nothing gets it.
const { signalDeadline } = parseConfigText(JSON.stringify({ registration: { domain: 'x.coal.joyent.us', type: 'rr_host', ports: [80] } })).config.drain;

/** systemd-analyze verify of `unit` as it would be with the executable installed; its complaints (it exits 0 on many). */
async function verify(dir: string, name: string, text: string): Promise<{ code: number; stderr: string }> {
  await writeFile(join(dir, name), text.replaceAll(INSTALLED, join(dir, 'herald')));
  try {
    const r = await run('systemd-analyze', ['verify', '--man=no', join(dir, name)]);
    return { code: 0, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

const setting = (unit: string, key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

t.test('systemd units: systemd-analyze verify is silent; SIGTERM, restart, a stop timeout beyond the drain', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'herald-units-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await copyFile('/bin/true', join(dir, 'herald'));
  const units = (await readdir(join(DEPLOY, 'systemd'))).filter((f) => f.endsWith('.service')).sort();
  t.same(units, ['herald-serve.service', 'herald-sidecar.service']);
  for (const name of units) {
    const text = await readFile(join(DEPLOY, 'systemd', name), 'utf8');
    t.same(await verify(dir, name, text), { code: 0, stderr: '' }, `${name}: verify`);
    t.match(setting(text, 'ExecStart')[0], new RegExp(`^${INSTALLED} ${name === 'herald-sidecar.service' ? 'sidecar' : 'serve'} `));
    t.same(setting(text, 'Type'), ['exec'], `${name}: Type`);
    t.same(setting(text, 'Restart'), ['always'], `${name}: Restart`);
    t.same(setting(text, 'KillSignal'), ['SIGTERM'], `${name}: KillSignal`);
    const stop = Number(setting(text, 'TimeoutStopSec')[0]);
    t.ok(stop * 1000 >= signalDeadline + 20_000, `${name}: TimeoutStopSec ${stop} s leaves the ${signalDeadline} ms drain 20 s to spare`);
  }
  // The check can fail: verify complains about a unit it cannot read.
  const broken = await verify(dir, 'broken.service', '[Service]\nType=bogus\nExecStart=/usr/local/bin/herald sidecar\nTimeoutStopSec=soon\n');
  t.match(broken.stderr, /Failed to parse service type[\s\S]*Failed to parse time value/);
});

t.test('SMF manifests: well-formed, the service_bundle structure, network and filesystem dependencies, SIGTERM stop beyond the drain', async (t) => {
  const manifests = (await readdir(join(DEPLOY, 'smf'))).filter((f) => f.endsWith('.xml')).sort();
  t.same(manifests, ['herald-serve.xml', 'herald-sidecar.xml']);
  for (const name of manifests) {
    const path = join(DEPLOY, 'smf', name);
    await run('xmllint', ['--noout', path]);
    const text = await readFile(path, 'utf8');
    t.match(text, /<!DOCTYPE service_bundle SYSTEM "\/usr\/share\/lib\/xml\/dtd\/service_bundle\.dtd\.1">/);
    const doc = parseXml(text);
    t.equal(doc.children.length, 1);
    const bundle = doc.children[0]!;
    t.same(serviceBundleProblems(bundle), [], `${name}: structure`);
    t.equal(bundle.attrs.type, 'manifest');
    const service = bundle.children[0]!;
    const all = (el: XmlElement, n: string): XmlElement[] => el.children.flatMap((c) => [...(c.name === n ? [c] : []), ...all(c, n)]);
    const fmris = all(service, 'dependency').flatMap((d) => all(d, 'service_fmri').map((f) => f.attrs.value));
    t.same(fmris, ['svc:/milestone/network:default', 'svc:/system/filesystem/local']);
    const method = (n: string) => all(service, 'exec_method').find((m) => m.attrs.name === n)!;
    const command = name === 'herald-sidecar.xml' ? 'sidecar' : 'serve';
    t.match(method('start').attrs.exec, new RegExp(`^/opt/herald/bin/herald ${command} `));
    t.equal(method('stop').attrs.exec, ':kill -TERM');
    t.ok(Number(method('stop').attrs.timeout_seconds) * 1000 >= signalDeadline + 20_000, `${name}: stop timeout`);
    // Every %{group/property} the start method uses is defined.
    const props = new Set(all(service, 'property_group').flatMap((g) => g.children.map((p) => `${g.attrs.name}/${p.attrs.name}`)));
    for (const m of method('start').attrs.exec!.matchAll(/%\{([^}]+)\}/g)) t.ok(props.has(m[1]!), `${name}: ${m[1]} defined`);
    t.ok(props.has('startd/duration'), 'a foreground process: startd/duration');
  }
  // The check can fail: a misplaced or unknown element is reported.
  const bad = parseXml('<service_bundle type="manifest" name="x"><service name="a" version="1" type="daemon"><exec_method type="method" name="stop" exec=":kill" timeout_seconds="1"/><dependency name="n" grouping="all" restart_on="error" type="service"/></service></service_bundle>').children[0]!;
  t.same(serviceBundleProblems(bad), [
    'service_bundle/service[0]: type="daemon" is not one of service, restarter, milestone',
    'service_bundle/service[0]: <dependency> out of order or not allowed in <service>',
    'service_bundle/service[0]/dependency[1]: grouping="all" is not one of require_all, require_any, exclude_all, optional_all',
  ]);
});

t.test("the README's service commands install files that exist, set properties the manifests define, enable units that exist", async (t) => {
  const root = join(DEPLOY, '..');
  const smf = installCommands('As a service', 0);
  const imported = smf.filter((c) => c.startsWith('svccfg import ')).map((c) => c.split(' ')[2]!);
  t.same(imported, ['deploy/smf/herald-sidecar.xml', 'deploy/smf/herald-serve.xml']);
  for (const m of smf.join('\n').matchAll(/svccfg -s (\S+) setprop (\S+) = astring:/g)) {
    const manifest = await readFile(join(DEPLOY, 'smf', `${m[1]}.xml`), 'utf8');
    const [group, prop] = m[2]!.split('/');
    t.match(manifest, new RegExp(`<property_group name="${group}"[\\s\\S]*<propval name="${prop}"`), `${m[1]}: ${m[2]}`);
  }
  const systemd = installCommands('As a service', 1);
  const sources = systemd.filter((c) => c.startsWith('install ')).map((c) => c.split(' ').at(-2)!);
  t.same(sources, ['sidecar.json', 'deploy/systemd/herald-sidecar.service', 'deploy/systemd/serve.env', 'deploy/systemd/herald-serve.service']);
  for (const f of sources.slice(1)) await t.resolves(readFile(join(root, f)), f);
  const env = await readFile(join(DEPLOY, 'systemd/serve.env'), 'utf8');
  const unit = await readFile(join(DEPLOY, 'systemd/herald-serve.service'), 'utf8');
  for (const v of unit.matchAll(/\$\{(\w+)\}/g)) t.match(env, new RegExp(`^${v[1]}=\\S+`, 'm'), `serve.env sets ${v[1]}`);
  t.same(systemd.at(-1), 'systemctl enable --now herald-sidecar herald-serve');
});
