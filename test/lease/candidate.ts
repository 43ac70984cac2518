// A lease holder that does its work in-process: acquires NAME, then appends a
// "work" line every 20 ms while `lease.held`, in the worker.sh log format.
// argv: ZK NAME INSTANCE LOG SESSION_MS
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLease } from '../../src/lease/acquire.ts';

const [zk, name, instance, logPath, sessionMs] = process.argv.slice(2) as [string, string, string, string, string];
const lease = await acquireLease(name, { zk, instance, sessionTimeoutMs: Number(sessionMs) });
const log = (what: string): void => appendFileSync(logPath, `${Date.now()} ${what} ${lease.token} ${instance} ${process.pid}\n`);
log('start');
while (lease.held) {
  log('work');
  await sleep(20);
}
log('stop');
await lease.release();
