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
