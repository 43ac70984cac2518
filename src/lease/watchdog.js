// The lease watchdog: a tiny process between a lease holder (the supervisor)
// and the command it runs, so that the command cannot outlive the proof that
// the lease is held. Plain JavaScript (types in JSDoc, checked by tsc) that
// imports only Node built-ins, so Node starts it without type stripping:
// about a third of the time and 20 MB less memory than the same file as .ts.
//
// argv: one JSON argument, {"argv": [...]}. The command gets its environment
// and the `start` message's. It can be started before the lease is held (so
// a takeover does not wait for Node to start). fd 3 is a socket to the
// supervisor, one line per message:
//   supervisor -> watchdog   start {"graceMs","env"}         the lease is held: its grace and variables
//                            hb <deadlineNs> <remainingMs>   the lease is valid until then
//                            stop                            stop the command now
//   watchdog -> supervisor   pid <n>                         the command started (its group id)
//                            exit {"code","signal","cause"}  the command and its group are gone
//                            error {"message"}               the command could not start
// The command starts on the first heartbeat after `start`, in a process group (session) of
// its own. Its group gets SIGTERM (and SIGCONT) `graceMs` before the valid
// deadline and SIGKILL at the deadline, unless a later heartbeat moved it;
// at once when the supervisor's end of fd 3 closes (it died) or on `stop`.
// The deadline is the earlier of the supervisor's CLOCK_MONOTONIC deadline
// (the same kernel clock here, so pipe delay does not extend it) and receipt
// time + remainingMs on our own clock (a bound that holds whatever that is).
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @typedef {'exited' | 'deadline' | 'stopped' | 'orphaned'} Cause */

/** @param {string | undefined} spec */
export function runWatchdog(spec) {
  /** @type {string[]} */
  let argv;
  try {
    argv = JSON.parse(spec ?? '').argv;
    if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string')) throw new Error('bad spec');
  } catch {
    process.stderr.write('herald lease watchdog: expected one JSON argument {"argv": [...]}\n');
    process.exit(2);
  }
  let graceNs = 0n;
  /** @type {NodeJS.ProcessEnv | undefined} set by `start` */
  let env;
  /** @type {Socket} */
  let link;
  try {
    link = new Socket({ fd: 3, readable: true, writable: true });
  } catch {
    process.stderr.write('herald lease watchdog: fd 3 must be a socket to the lease holder\n');
    process.exit(2);
  }
  let linkOpen = true;
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  /** @type {number | undefined} */
  let pid;
  let killAt = 0n;
  /** @type {Cause | undefined} */
  let stopping;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;

  const now = () => process.hrtime.bigint();
  /** @param {string} line */
  const send = (line) => { if (linkOpen) link.write(`${line}\n`); };
  /** @param {NodeJS.Signals} sig */
  const group = (sig) => {
    if (pid === undefined) return;
    try { process.kill(-pid, sig); } catch { /* the group is gone */ }
  };
  const finish = () => {
    if (!linkOpen) process.exit(0);
    link.end(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };

  // Before the deadline: wait for it. Inside the grace: SIGTERM now, SIGKILL at it.
  const check = () => {
    clearTimeout(timer);
    const left = killAt - now();
    if (stopping === undefined && left > graceNs) timer = setTimeout(check, Math.min(Number(left - graceNs) / 1e6, 2 ** 30));
    else if (stopping === undefined) stop('deadline');
    else timer = setTimeout(() => group('SIGKILL'), Math.min(Math.max(0, Number(left) / 1e6), 2 ** 30));
  };
  /** @param {Cause} cause */
  const stop = (cause) => {
    if (stopping !== undefined) return;
    stopping = cause;
    if (child === undefined) { send(`exit ${JSON.stringify({ code: null, signal: null, cause })}`); finish(); return; }
    group('SIGTERM');
    group('SIGCONT'); // a stopped group holds the SIGTERM until continued
    if (cause !== 'deadline') killAt = minBig(killAt, now() + graceNs);
    check();
  };
  const start = () => {
    child = spawn(/** @type {string} */ (argv[0]), argv.slice(1), { stdio: 'inherit', detached: true, env: { ...process.env, ...env } });
    pid = child.pid;
    child.once('error', (err) => { send(`error ${JSON.stringify({ message: err.message })}`); finish(); });
    child.once('exit', (code, signal) => {
      group('SIGKILL'); // whatever it left in its group goes with it
      clearTimeout(timer);
      send(`exit ${JSON.stringify({ code, signal, cause: stopping ?? 'exited' })}`);
      finish();
    });
    if (pid !== undefined) send(`pid ${pid}`);
  };
  /** @param {bigint} deadlineNs @param {number} remainingMs */
  const heartbeat = (deadlineNs, remainingMs) => {
    const until = minBig(deadlineNs, now() + BigInt(Math.round(remainingMs * 1e6)));
    if (until > killAt && stopping === undefined) killAt = until;
  };
  // After the heartbeats read at once (several wait in the pipe while this
  // process starts): the latest counts, not the first.
  const beaten = () => {
    if (env === undefined) return;
    if (child === undefined && stopping === undefined) {
      if (killAt - now() > graceNs) start();
      else { stop('deadline'); return; }
    }
    check();
  };

  /** @param {string} json */
  const begin = (json) => {
    try {
      /** @type {{ graceMs: number; env: Record<string, string> }} */
      const m = JSON.parse(json);
      if (!(m.graceMs >= 0) || typeof m.env !== 'object' || m.env === null) throw new Error('bad start');
      graceNs = BigInt(Math.round(m.graceMs * 1e6));
      env = m.env;
    } catch {
      stop('stopped');
    }
  };

  let buffered = '';
  link.setEncoding('utf8');
  link.on('data', (/** @type {string} */ chunk) => {
    buffered += chunk;
    let beat = false;
    let stopAsked = false;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      const [kind, a, b] = line.split(' ');
      buffered = buffered.slice(nl + 1);
      if (kind === 'start' && env === undefined) begin(line.slice(6));
      else if (kind === 'hb' && a !== undefined && b !== undefined && /^\d+$/.test(a) && Number(b) >= 0) { heartbeat(BigInt(a), Number(b)); beat = true; }
      else if (kind === 'stop') stopAsked = true;
    }
    if (stopAsked) stop('stopped');
    else if (beat) beaten();
  });
  // The supervisor died (or closed its end): no more proof will come.
  const orphaned = () => { linkOpen = false; stop('orphaned'); };
  link.once('end', orphaned);
  link.once('error', orphaned);
  link.once('close', orphaned);
  process.on('SIGTERM', () => stop('stopped'));
  process.on('SIGINT', () => stop('stopped'));
  process.on('SIGHUP', () => undefined);
}

/** @param {bigint} a @param {bigint} b */
function minBig(a, b) {
  return a < b ? a : b;
}

// Run as a program (`node watchdog.js SPEC`), not when bundled into another file.
if (import.meta.main && basename(fileURLToPath(import.meta.url)).startsWith('watchdog.')) runWatchdog(process.argv[2]);
