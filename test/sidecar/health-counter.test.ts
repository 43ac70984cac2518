import t from 'tap';
import { INITIAL_HEALTH, observe, type HealthCount, type Transition } from '../../src/sidecar/health-counter.ts';

function run(results: string, rise: number, fall: number): string {
  let count: HealthCount = INITIAL_HEALTH;
  let out = '';
  for (const c of results) {
    const step: { count: HealthCount; transition: Transition } = observe(count, c === '+', { rise, fall });
    count = step.count;
    out += step.transition === 'up' ? 'U' : step.transition === 'down' ? 'D' : '.';
  }
  return out;
}

t.test('starts down and rises only after `rise` consecutive successes', async (t) => {
  t.equal(run('+', 1, 3), 'U');
  t.equal(run('++-+++', 3, 2), '.....U', 'a failure restarts the rise count');
});

t.test('falls after `fall` consecutive failures, on every cycle, not only the first', async (t) => {
  // registrar honoured its threshold once; here each cycle needs the full count.
  t.equal(run('+---+---+---', 1, 3), 'U..D U..D U..D'.replace(/ /g, ''));
  t.equal(run('+--+--+--', 1, 3), 'U........', 'interrupted failure runs never fall');
  t.equal(run('+---' + '+-' + '+++' + '---', 2, 3), '....' + '..' + '.U.' + '..D');
});

t.test('flapping with rise 2 / fall 2', async (t) => {
  t.equal(run('++--++--', 2, 2), '.U.D.U.D');
  t.equal(run('+-+-+-+-', 2, 2), '........');
});
