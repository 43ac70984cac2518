import t from 'tap';
import { parseConfig, parseConfigText, SidecarConfigError } from '../../src/sidecar/index.ts';
import { REGISTRAR_SAMPLE } from './registrar-sample.ts';

// registrar's own example config (shared/BINDER.md §4), verbatim.
const REGISTRAR = {
  registration: {
    domain: 'moray.coal.joyent.us', type: 'moray_host', aliases: ['fqdn'], ttl: 30, ports: [2021, 2022], heartbeatInterval: 3000,
    service: { type: 'service', service: { srvce: '_moray', proto: '_tcp', port: 2020, ttl: 60 } },
  },
  adminIp: '10.99.99.17',
  healthCheck: {
    command: '/opt/check.sh', interval: 60000, threshold: 5, period: 300000, timeout: 1000, ignoreExitStatus: false,
    stdoutMatch: { pattern: 'ok', flags: 'i', invert: false },
  },
  zookeeper: { servers: [{ host: '10.99.99.11', port: 2181 }], timeout: 60000, connectTimeout: 4000 },
  logLevel: 'info',
};

function withChange(change: (c: any) => void): unknown {
  const c = structuredClone(REGISTRAR) as any;
  change(c);
  return c;
}

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SidecarConfigError) return `${err.field} | ${err.message}`;
    throw err;
  }
  return 'no error';
}

t.test("registrar's config is accepted verbatim, with no warnings", async (t) => {
  const { config, warnings } = parseConfig(REGISTRAR);
  t.same(warnings, []);
  t.equal(config.registration.domain, 'moray.coal.joyent.us');
  t.same(config.registration.ports, [2021, 2022]);
  t.same(config.registration.aliases, ['fqdn']);
  t.equal(config.adminIp, '10.99.99.17');
  t.same(config.healthCheck, {
    check: { kind: 'command', command: '/opt/check.sh', ignoreExitStatus: false, stdoutMatch: { pattern: 'ok', flags: 'i', invert: false } },
    interval: 60000, timeout: 1000, rise: 1, fall: 5,
  });
  t.same(config.zookeeper, { servers: [{ host: '10.99.99.11', port: 2181 }], timeout: 60000, connectTimeout: 4000 });
  // By default a drain counts established connections on the registered ports.
  t.same(config.drain.inFlight, { kind: 'connections', ports: [2021, 2022] });
});


t.test("registrar's sample config (type host, an alias, no ports, no service) is accepted", async (t) => {
  const { config, warnings } = parseConfigText(REGISTRAR_SAMPLE);
  t.same(warnings, []);
  t.equal(config.registration.type, 'host');
  t.same(config.registration.aliases, ['alias-1.test.coal.joyent.us']);
  t.equal(config.registration.ports, undefined);
  t.equal(config.registration.service, undefined);
  t.same(config.drain.inFlight, { kind: 'none' }, 'no ports registered, nothing to count connections on');
});

t.test("every shape registrar's README and code accept: registration.adminIp first, srvce without _ (warned)", async (t) => {
  // README's first example: load_balancer with aliases, no ports, no service.
  const readme = parseConfig({
    registration: { type: 'load_balancer', domain: 'example.joyent.us', aliases: ['host-1a.example.joyent.us', 'host-1b.example.joyent.us'] },
    adminIp: '172.27.10.72', zookeeper: { timeout: 60000, servers: [{ host: '172.27.10.35', port: 2181 }] },
  });
  t.same(readme.warnings, []);
  t.equal(readme.config.adminIp, '172.27.10.72');
  // main.js: cfg.registration.adminIp || cfg.adminIp.
  const both = parseConfig(withChange((c) => { c.registration.adminIp = '10.0.0.9'; }));
  t.same(both.warnings, []);
  t.equal(both.config.adminIp, '10.0.0.9');
  // register.js asserts srvce and proto are strings, nothing more.
  const bare = parseConfig(withChange((c) => { c.registration.service.service.srvce = 'moray'; }));
  t.match(bare.warnings, [/registration.service.service.srvce: "moray" does not start with "_"/]);
});

t.test('registrar defaults: interval 60 s, timeout 1 s, threshold 5; ports from the service', async (t) => {
  const { config } = parseConfig({
    registration: { domain: 'Authcache.Coal.Joyent.US.', type: 'load_balancer', service: { type: 'service', service: { srvce: '_redis', proto: '_tcp', port: 6379 } } },
    healthCheck: { command: 'true' },
  });
  t.equal(config.registration.domain, 'authcache.coal.joyent.us');
  t.match(config.healthCheck, { interval: 60000, timeout: 1000, rise: 1, fall: 5 });
  t.same(config.drain.inFlight, { kind: 'connections', ports: [6379] });
});

t.test('Herald extensions: http and tcp checks, rise/fall, drain settings', async (t) => {
  const { config, warnings } = parseConfig({
    registration: { domain: 'a.example.com', type: 'rr_host', ports: [80] },
    instance: 'inst-1',
    healthCheck: { http: { url: 'http://127.0.0.1:8080/ping', statuses: [200, 204] }, interval: 100, rise: 2, fall: 3 },
    drain: { deadline: 5000, ttlMargin: 100, nameservers: ['127.0.0.1:5353', '::1', '[::1]:53'], inFlight: { http: { url: 'http://127.0.0.1:8080/inflight', field: 'active' } } },
    adminSocket: '/tmp/x.sock',
  });
  t.same(warnings, []);
  t.equal(config.instance, 'inst-1');
  t.same(config.healthCheck?.check, { kind: 'http', url: 'http://127.0.0.1:8080/ping', statuses: [200, 204] });
  t.match(config.healthCheck, { rise: 2, fall: 3, interval: 100 });
  t.same(config.drain.nameservers, ['127.0.0.1:5353', '::1', '[::1]:53']);
  t.same(config.drain.inFlight, { kind: 'http', url: 'http://127.0.0.1:8080/inflight', field: 'active' });
  const tcp = parseConfig({ registration: { domain: 'a.b', type: 'host', ports: [1] }, healthCheck: { tcp: { port: 9 } } }).config;
  t.same(tcp.healthCheck?.check, { kind: 'tcp', host: '127.0.0.1', port: 9 });
});

t.test('unknown fields are warned about, by full path, and ignored', async (t) => {
  const { warnings } = parseConfig(withChange((c) => {
    c.colour = 'blue';
    c.registration.bogus = 1;
    c.healthCheck.stdoutMatch.extra = true;
    c.zookeeper.servers[0].weight = 3;
  }));
  t.same(warnings.sort(), [
    'colour: unknown field, ignored',
    'healthCheck.stdoutMatch.extra: unknown field, ignored',
    'registration.bogus: unknown field, ignored',
    'zookeeper.servers[0].weight: unknown field, ignored',
  ]);
  t.match(parseConfig(withChange((c) => { c.registration.type = 'custom'; })).warnings, [/registration.type: "custom" is not a type binder serves/]);
});

t.test('a bad value names the field and what was expected', async (t) => {
  const cases: [string, (c: any) => void][] = [
    ['registration | registration: expected an object, got nothing', (c) => { delete c.registration; }],
    ['registration.domain | registration.domain: expected a non-empty string, got 42', (c) => { c.registration.domain = 42; }],
    ['registration.domain | registration.domain: expected a DNS name', (c) => { c.registration.domain = 'a..b'; }],
    ['registration.ports[1] | registration.ports[1]: expected a port number from 1 to 65535, got 70000', (c) => { c.registration.ports = [1, 70000]; }],
    ['registration.service.service.srvce | registration.service.service.srvce: expected a non-empty string, got 7', (c) => { c.registration.service.service.srvce = 7; }],
    ['registration.adminIp | registration.adminIp: expected an IPv4 or IPv6 address, got "x"', (c) => { c.registration.adminIp = 'x'; }],
    ['metrics | metrics: expected ADDR:PORT or [IPv6]:PORT', (c) => { c.metrics = 'localhost:9154'; }],
    ['metrics | metrics: expected ADDR:PORT or [IPv6]:PORT', (c) => { c.metrics = '127.0.0.1:99999'; }],
    ['healthCheck.interval | healthCheck.interval: expected milliseconds: an integer from 10 to 86400000, got "60s"', (c) => { c.healthCheck.interval = '60s'; }],
    ['healthCheck.stdoutMatch.pattern | healthCheck.stdoutMatch.pattern: expected a valid regular expression', (c) => { c.healthCheck.stdoutMatch.pattern = '('; }],
    ['healthCheck.http | healthCheck.http: expected only one of', (c) => { c.healthCheck.http = 'http://x/'; }],
    ['healthCheck.fall | healthCheck.fall: expected the same value as healthCheck.threshold (5)', (c) => { c.healthCheck.fall = 2; }],
    ['adminIp | adminIp: expected an IPv4 or IPv6 address, got "10.99.99"', (c) => { c.adminIp = '10.99.99'; }],
    ['zookeeper.servers[0].port | zookeeper.servers[0].port: expected a port number', (c) => { c.zookeeper.servers[0].port = '2181'; }],
    ['logLevel | logLevel: expected one of fatal, error, warn, info, debug, trace, got "loud"', (c) => { c.logLevel = 'loud'; }],
    ['drain.nameservers[0] | drain.nameservers[0]: expected an address', (c) => { c.drain = { nameservers: ['binder.example'] }; }],
    ['drain.bootstrap | drain.bootstrap: expected a DNS name', (c) => { c.drain = { nameservers: ['127.0.0.1'], bootstrap: 'x..y' }; }],
    ['drain.nameservers | drain.nameservers: expected at least one nameserver', (c) => { c.drain = { nameservers: [] }; }],
    ['instance | instance: expected one DNS label', (c) => { c.instance = 'a.b'; }],
  ];
  for (const [expected, change] of cases) {
    const got = fieldOf(() => parseConfig(withChange(change)));
    t.ok(got.startsWith(expected), `${expected}\n   got: ${got}`);
    t.notOk(got.includes('\n'), 'one line');
  }
});

t.test('config text that is not JSON is one clear line', async (t) => {
  t.throws(() => parseConfigText('{"registration": '), { code: 'HERALD_SIDECAR_CONFIG', message: /^\(config\): expected JSON/ });
});
