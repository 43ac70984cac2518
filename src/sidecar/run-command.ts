import { spawn } from 'node:child_process';

export interface CommandOutcome {
  /** Exit status, or undefined when killed by a signal or timed out. */
  exitCode: number | undefined;
  stdout: string;
  timedOut: boolean;
  /** Set when the command could not be started at all. */
  error?: Error;
}

const MAX_STDOUT = 1024 * 1024; // registrar's maxBuffer

/**
 * Runs `command` through /bin/sh (as registrar's `exec` does) in a process
 * group of its own, so that on timeout the shell and everything it started
 * are killed together: registrar killed only the shell and left the rest.
 * Without `readStdout` (a check with no stdoutMatch) stdout goes nowhere and
 * `stdout` is empty: no pipe and no reads in the check that runs every second.
 */
export function runCommand(command: string, timeoutMs: number, options: { env?: NodeJS.ProcessEnv; readStdout?: boolean } = {}): Promise<CommandOutcome> {
  const { env = process.env, readStdout = true } = options;
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', readStdout ? 'pipe' : 'ignore', 'ignore'], env });
    let stdout = '';
    let done = false;
    const finish = (outcome: CommandOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      killGroup(child.pid);
      // A grandchild that escaped the group may hold stdout open: stop reading.
      child.stdout?.destroy();
      finish({ exitCode: undefined, stdout, timedOut: true });
    }, timeoutMs);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (stdout.length < MAX_STDOUT) stdout += chunk.slice(0, MAX_STDOUT - stdout.length);
    });
    child.on('error', (error) => finish({ exitCode: undefined, stdout, timedOut: false, error }));
    child.on('close', (code) => {
      // The shell is gone; leave nothing of its group behind.
      killGroup(child.pid);
      finish({ exitCode: code ?? undefined, stdout, timedOut: false });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group has already exited.
  }
}
