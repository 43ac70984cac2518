// An ES module consumer: the public API balancing real requests, ten at a
// time, over two loopback HTTP servers that take 5 ms each. Prints
// {"counts":[n0,n1]}.
import { createServer } from 'node:http';
import { BalancedAgent, HeraldError } from 'herald';

const servers = await Promise.all([0, 1].map((i) => new Promise((resolve) => {
  const server = createServer((_req, res) => setTimeout(() => res.end(String(i)), 5));
  server.listen(0, '127.0.0.1', () => resolve(server));
})));
const agent = new BalancedAgent({ backends: servers.map((s) => `127.0.0.1:${s.address().port}`) });
const counts = [0, 0];
for (let round = 0; round < 4; round++) {
  await Promise.all(Array.from({ length: 10 }, async () => {
    const res = await agent.request({ origin: 'http://web.example', path: '/', method: 'GET' });
    counts[Number(await res.body.text())]++;
  }));
}
await agent.close();
for (const s of servers) s.close();
if (!(new HeraldError('x', 'X') instanceof Error)) throw new Error('HeraldError is not an Error');
console.log(JSON.stringify({ counts }));
