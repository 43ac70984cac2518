import t from 'tap';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { waitFor } from '../fixtures/wait.ts';
import { dig, memoryServer } from './helpers.ts';

// A registry change drops only the cached answers it could have changed: an
// unrelated service's answers stay cached (served as hits), the changed
// name's, its service's (A and SRV) and the changed address's PTR are
// answered afresh.
const s = await memoryServer('coal.joyent.us');
t.teardown(() => s.close());
const w = s.writer;
const lb = (address: string) => hostRecordJson({ type: 'load_balancer', address, ports: [80] });
await w.putPersistent('/us/joyent/coal/web', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }));
await w.putEphemeral('/us/joyent/coal/web/w1', lb('10.0.0.1'));
await w.putPersistent('/us/joyent/coal/db', serviceRecordJson({ service: { srvce: '_pg', proto: '_tcp', port: 5432 } }));
await w.putEphemeral('/us/joyent/coal/db/d1', lb('10.0.1.1'));
await waitFor('both services served', () => s.server.zoneSize === 4 || undefined, 5000, 5);

const questions = [['db.coal.joyent.us', 'A'], ['_pg._tcp.db.coal.joyent.us', 'SRV'], ['-x', '10.0.1.1'], ['web.coal.joyent.us', 'A'], ['_http._tcp.web.coal.joyent.us', 'SRV'], ['w1.web.coal.joyent.us', 'A'], ['-x', '10.0.0.1']] as const;
const ask = async (i: number) => (await dig(s.port, [...questions[i]!])).answer.join('\n');
const hitsFor = async (i: number): Promise<[hit: boolean, answer: string]> => {
  const before = s.server.stats.cacheHits;
  const answer = await ask(i);
  return [s.server.stats.cacheHits === before + 1, answer];
};

t.test('an unrelated service keeps its cached answers; the changed names are answered afresh', async (t) => {
  const first = [];
  for (let i = 0; i < questions.length; i++) first.push(await ask(i));
  for (let i = 0; i < questions.length; i++) t.same(await hitsFor(i), [true, first[i]], `${questions[i]!.join(' ')} cached`);
  await w.putEphemeral('/us/joyent/coal/web/w1', lb('10.0.0.9'));
  await waitFor('the change applied', async () => ((await dig(s.port, ['w1.web.coal.joyent.us', 'A'])).answer.join().includes('10.0.0.9') || undefined), 5000, 5);
  for (let i = 0; i < 3; i++) t.same(await hitsFor(i), [true, first[i]], `${questions[i]!.join(' ')}: still a cache hit`);
  const [webHit, web] = await hitsFor(3);
  t.notOk(webHit, 'the service of the changed member is answered afresh');
  t.match(web, /10\.0\.0\.9/);
  const [srvHit, srv] = await hitsFor(4);
  t.notOk(srvHit, 'and its SRV');
  t.match(srv, /w1\.web\.coal\.joyent\.us/);
  const [ptrHit, ptr] = await hitsFor(6);
  t.notOk(ptrHit, 'the old address has no PTR any more');
  t.equal(ptr, '');
  t.match((await dig(s.port, ['-x', '10.0.0.9'])).answer.join(), /w1\.web\.coal\.joyent\.us/, 'the new one has');
  await w.delete('/us/joyent/coal/web/w1');
  await waitFor('the member gone', () => s.server.zoneSize === 3 || undefined, 5000, 5);
  t.same((await dig(s.port, ['w1.web.coal.joyent.us', 'A'])).status, 'REFUSED', 'a member that left is not served from the cache');
  t.same(await hitsFor(0), [true, first[0]], 'the other service is still cached');
});
