import t from 'tap';
import { advance, judgeBudget, parseMinAvailable, requiredAvailable, resumePoint, substitute, commandEnv, renderPlan, stepLine, BudgetSpecError } from '../../src/roll/index.ts';

t.test('--min-available: a count or a percentage, rounded up; default all but those being updated', async (t) => {
  t.same(parseMinAvailable('2'), { count: 2 });
  t.same(parseMinAvailable('66%'), { percent: 66 });
  for (const bad of ['', 'x', '-1', '1.5', '101%', '2 3']) t.throws(() => parseMinAvailable(bad), BudgetSpecError, bad);
  t.equal(requiredAvailable(undefined, 3, 1), 2);
  t.equal(requiredAvailable(undefined, 5, 2), 3);
  t.equal(requiredAvailable({ count: 2 }, 3, 1), 2);
  t.equal(requiredAvailable({ percent: 66 }, 3, 1), 2, '1.98 rounds up to 2');
  t.equal(requiredAvailable({ percent: 100 / 3 * 2 }, 3, 1), 2, 'exactly 2 is 2, not 3');
  t.equal(requiredAvailable({ percent: 50 }, 5, 1), 3);
});

t.test('judgeBudget: the one to take out does not count; says why', async (t) => {
  t.match(judgeBudget('web-1', ['web-1', 'web-2', 'web-3'], 3, 2), { allowed: true, availableAfter: 2 });
  const no = judgeBudget('web-1', ['web-1', 'web-2'], 3, 2);
  t.match(no, { allowed: false, availableAfter: 1, why: '2 of 3 available; taking web-1 out leaves 1, below the 2 required' });
  t.match(judgeBudget('web-3', ['web-1', 'web-2'], 3, 2), { allowed: true }, 'an instance already out costs nothing');
});

t.test('resumePoint: nothing done twice, the in-flight CMD reported', async (t) => {
  t.same(resumePoint(undefined), { step: 'waiting' });
  t.same(resumePoint({ step: 'done', at: 0 }), { step: 'done' });
  t.same(resumePoint({ step: 'draining', at: 0 }), { step: 'draining' });
  t.match(resumePoint({ step: 'updating', at: 0 }), { step: 'failed', interrupted: /CMD is not run twice/ });
  t.same(resumePoint({ step: 'returning', at: 0, updated: true }), { step: 'returning' });
  t.same(resumePoint({ step: 'soaking', at: 0, updated: true }), { step: 'returning' });
  t.same(resumePoint({ step: 'failed', at: 0 }), { step: 'waiting' });
  t.same(resumePoint({ step: 'failed', at: 0, updated: true }), { step: 'returning' });
  const p = advance(advance({ step: 'waiting', at: 0 }, 'draining', 100, { phase: 'x' }), 'updating', 350);
  t.same(p, { step: 'updating', at: 350, took: { waiting: 100, draining: 250 } });
});

t.test('CMD: {instance} and {address} substituted, HERALD_* in the environment', async (t) => {
  const target = { domain: 'web.x', instance: 'web-1', address: '10.0.0.1' };
  t.same(substitute(['ssh', '{address}', 'restart', '{instance}-{instance}'], target), ['ssh', '10.0.0.1', 'restart', 'web-1-web-1']);
  t.match(commandEnv({ PATH: '/bin' }, target), { PATH: '/bin', HERALD_INSTANCE: 'web-1', HERALD_ADDRESS: '10.0.0.1', HERALD_DOMAIN: 'web.x' });
});

t.test('the view: one line per instance and step', async (t) => {
  t.equal(stepLine('web-1', undefined, 0), 'web-1: waiting');
  t.equal(stepLine('web-1', { step: 'draining', at: 1000, phase: 'ttl' }, 3500), 'web-1: draining (ttl) 2.5 s');
  t.equal(stepLine('web-2', { step: 'failed', at: 0, failedIn: 'updating', reason: 'CMD exited 3' }, 0), 'web-2: FAILED while updating: CMD exited 3');
  t.equal(stepLine('web-3', { step: 'done', at: 0, took: { waiting: 5000, draining: 3000, updating: 1000, returning: 500 } }, 0), 'web-3: done in 4.5 s');
  t.same(renderPlan(['web-1', 'web-2'], new Map([['web-1', { step: 'done' as const, at: 0, took: { draining: 1000 } }]]), 0, 'a note'),
    ['roll: 1/2 done', '  web-1: done in 1.0 s', '  web-2: waiting', '  a note']);
});
