// The layout's rules (DESIGN.md "Layout"), checked by `npm run lint:deps`
// (run by `npm test`): no cycles, and every import points down the layers
//   cli → demo, operator, roll → sidecar, server, lease, agent → drain, resolver, registry → dns → root helpers
// with clients (resolver, agent) knowing DNS only, server and sidecar apart,
// nothing in src importing cli, demo, test or bench, and another folder
// reached only through its index.ts.
const folders = ['cli', 'demo', 'operator', 'roll', 'sidecar', 'server', 'lease', 'agent', 'drain', 'resolver', 'registry', 'dns'];

/** What each folder may import besides itself and the root helpers (src/*.ts other than index.ts). */
const allowed = {
  cli: folders.filter((f) => f !== 'cli'),
  demo: ['operator', 'roll', 'sidecar', 'server', 'lease', 'agent', 'drain', 'resolver', 'registry', 'dns'],
  operator: ['sidecar', 'server', 'lease', 'agent', 'drain', 'resolver', 'registry', 'dns'],
  roll: ['operator', 'sidecar', 'server', 'lease', 'agent', 'drain', 'resolver', 'registry', 'dns'],
  sidecar: ['lease', 'drain', 'resolver', 'registry', 'dns'],
  server: ['drain', 'registry', 'dns'],
  lease: ['registry', 'dns'],
  agent: ['resolver', 'dns'],
  drain: ['registry', 'dns'],
  resolver: ['dns'],
  registry: ['dns'],
  dns: [],
};

const layerRules = folders.map((from) => {
  const forbidden = folders.filter((f) => f !== from && !allowed[from].includes(f));
  return {
    name: `layer-${from}`,
    comment: `src/${from} may import only ${allowed[from].length ? allowed[from].join(', ') : 'nothing but itself'} and the root helpers`,
    severity: 'error',
    from: { path: `^src/${from}/` },
    to: { path: forbidden.length ? `^src/(${forbidden.join('|')})/` : '^$' },
  };
}).filter((r) => r.to.path !== '^$');

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'import cycles hide which part depends on which', from: {}, to: { circular: true } },
    { name: 'src-not-tests', severity: 'error', comment: 'src never imports test/ or bench/', from: { path: '^src/' }, to: { path: '^(test|bench)/' } },
    {
      name: 'root-helpers-stay-low', severity: 'error',
      comment: 'the root helpers (src/*.ts) sit under every folder: they import no folder (index.ts, the public API, is the exception)',
      from: { path: '^src/[^/]+\\.ts$', pathNot: '^src/index\\.ts$' }, to: { path: '^src/[^/]+/' },
    },
    {
      name: 'through-index', severity: 'error',
      comment: "another folder is used through its index.ts (its API for the rest of src/, which may be wider than what src/index.ts gives users): a file in src/A imports src/B/index.ts, never src/B/x.ts. Exempt: entry files loaded by path (the lease watchdog), the pure leaves of the registry's records (src/registry/{records,ttl,path,rejection,errors}.ts: the UDP worker thread reads records with them, and through the index every worker would load the ZooKeeper client) and src/lease/path.ts (the sidecar's config checks lease names with it, and through the index `herald sidecar` would load all the lease code), and a lazy import() of one file, which is how a command avoids loading a folder it rarely needs (through the index it would load the whole folder). Root helpers (src/*.ts) are no folder",
      from: { path: '^src/([^/]+)/' },
      to: { dependencyTypesNot: ['dynamic-import'], path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', '^src/lease/watchdog(-entry)?\\.(ts|js)$', '^src/lease/path\\.ts$', '^src/registry/(records|ttl|path|rejection|errors)\\.ts$'] },
    },
    { name: 'nothing-imports-index', severity: 'error', comment: 'src/index.ts is for users; inside src import the part itself', from: { path: '^src/', pathNot: '^src/index\\.ts$' }, to: { path: '^src/index\\.ts$' } },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.d.ts'] },
  },
};
