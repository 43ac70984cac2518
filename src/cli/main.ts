import type { Command, CommandIO } from './command.ts';
import { UsageError } from './command.ts';
import { HeraldError } from '../errors.ts';
import { WATCHDOG_SUBCOMMAND } from '../lease/watchdog-entry.ts';

// Each subcommand is loaded only when asked for, so `herald dig` starts fast.
const commands: Record<string, () => Promise<Command>> = {
  dig: async () => (await import('./dig.ts')).default,
  wait: async () => (await import('./wait.ts')).default,
  serve: async () => (await import('./serve.ts')).default,
  lease: async () => (await import('./lease.ts')).default,
  status: async () => (await import('./status.ts')).default,
  why: async () => (await import('./why.ts')).default,
  sidecar: async () => ((await import('./lean-runtime.ts')).interpretOnly(), (await import('./sidecar.ts')).default),
  drain: async () => (await import('./drain.ts')).default,
  resume: async () => (await import('./resume.ts')).default,
  roll: async () => (await import('./roll.ts')).default,
  demo: async () => (await import('./demo.ts')).default,
  acl: async () => (await import('./acl.ts')).default,
};

function help(): string {
  const names = Object.keys(commands).sort();
  return `usage: herald <command> [options]\n\ncommands: ${names.join(', ')}\n\nRun 'herald <command> --help' for a command's options.\n`;
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  // Hidden: the lease watchdog, where its own file is not at hand (a bundle, a single executable).
  if (name === WATCHDOG_SUBCOMMAND) return (await import('../lease/watchdog.js')).runWatchdog(rest[0]), new Promise<number>(() => undefined);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    io.stderr.write(`herald: unknown command "${name}"\n${help()}`);
    return 2;
  }
  const command = await load();
  // Flags after `--` are a command's to run (herald roll, herald lease run), not ours.
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`herald ${name}: ${err.message}\n${command.usage}\n`);
      return 2;
    }
    if (err instanceof HeraldError) {
      io.stderr.write(`herald ${name}: ${err.message} (${err.code})\n`);
      return err.code === 'HERALD_INVALID_ARGUMENT' ? 2 : 1;
    }
    throw err;
  }
}

/** Runs `herald` as the process: argv, streams, signals and the exit code. */
export async function runProcess(): Promise<void> {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    // A second signal while a command is stopping ends it at once.
    if (controller.signal.aborted) process.exit(130);
    controller.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal });
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.exitCode = code;
}

// Not awaited at top level: the single executable bundles this file as CommonJS.
if (import.meta.main) void runProcess();
