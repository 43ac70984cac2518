import t from 'tap';
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { createLogger, isLogLevel } from '../src/log.ts';

t.test('log lines are bunyan records that the bunyan CLI renders', async (t) => {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, done) { lines.push(chunk.toString()); done(); } });
  const log = createLogger('herald-sidecar', { level: 'debug', destination });
  log.info({ instance: 'a1b2' }, 'registered');
  log.trace('not written below debug');
  t.equal(lines.length, 1);
  const record = JSON.parse(lines[0]!);
  t.match(record, { v: 0, level: 30, name: 'herald-sidecar', pid: process.pid, msg: 'registered', instance: 'a1b2' });
  t.type(record.hostname, 'string');
  t.ok(!Number.isNaN(Date.parse(record.time)), 'time is an ISO date');
  const rendered = execFileSync('node_modules/.bin/bunyan', ['-o', 'short'], { input: lines.join('') }).toString();
  t.match(rendered, /INFO herald-sidecar: registered \(instance=a1b2\)/);
  t.ok(isLogLevel('warn'));
  t.notOk(isLogLevel('loud'));
});

t.test('a child carries its bindings; an Error is written as bunyan shows one; a field that cannot be written costs only the fields', async (t) => {
  const lines: string[] = [];
  const log = createLogger('herald-serve', { destination: { write: (line: string) => lines.push(line) } });
  const child = log.child({ instance: 'z1' });
  child.warn({ err: Object.assign(new Error('gone'), { code: 'HERALD_X' }) }, 'failed');
  const cycle: Record<string, unknown> = {};
  cycle['self'] = cycle;
  child.error({ cycle }, 'still said');
  log.info('plain');
  log.debug('below the default level');
  t.equal(lines.length, 3);
  t.ok(lines.every((l) => l.endsWith('}\n') && !l.slice(0, -1).includes('\n')), 'one line each');
  const [failed, said, plain] = lines.map((l) => JSON.parse(l));
  t.match(failed, { level: 40, instance: 'z1', msg: 'failed', err: { type: 'Error', message: 'gone', code: 'HERALD_X', stack: /gone/ } });
  t.match(said, { level: 50, instance: 'z1', msg: 'still said', logError: /fields not written/ });
  t.notOk('cycle' in said);
  t.match(plain, { level: 30, name: 'herald-serve', msg: 'plain' });
  t.notOk('instance' in plain, 'the parent has no child bindings');
});
