// An ES module consumer: the public API balancing real requests over two
// loopback HTTP servers. Prints {"counts":[n0,n1]}.
import { createServer } from 'node:http';
import { BalancedAgent, HeraldError } from 'herald';

const servers = await Promise.all([0, 1].map((i) => new Promise((resolve) => {
  const server = createServer((_req, res) => res.end(String(i)));
  server.listen(0, '127.0.0.1', () => resolve(server));
})));
const agent = new BalancedAgent({ backends: servers.map((s) => `127.0.0.1:${s.address().port}`) });
const counts = [0, 0];
for (let i = 0; i < 40; i++) {
  const res = await agent.request({ origin: 'http://web.example', path: '/', method: 'GET' });
  counts[Number(await res.body.text())]++;
}
await agent.close();
for (const s of servers) s.close();
if (!(new HeraldError('x', 'X') instanceof Error)) throw new Error('HeraldError is not an Error');
console.log(JSON.stringify({ counts }));
