// The CMD `herald roll` runs in the tests: asks the test's control server to
// restart one instance (its service and sidecar, as an update would) and
// exits with what the test says. Arguments: URL INSTANCE ADDRESS.
const [url, instance, address] = process.argv.slice(2);
const env = { instance: process.env['HERALD_INSTANCE'], address: process.env['HERALD_ADDRESS'], domain: process.env['HERALD_DOMAIN'] };
const res = await fetch(`${url}/restart`, { method: 'POST', body: JSON.stringify({ instance, address, env }) });
const text = await res.text();
if (res.status !== 200) {
  process.stderr.write(`update of ${instance} failed: ${text}\n`);
  process.exit(3);
}
