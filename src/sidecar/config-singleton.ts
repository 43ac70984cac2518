import { validateLeaseName } from '../lease/path.ts';
import { SidecarConfigError } from './errors.ts';
import { object, optInt, string, warnUnknown, type Json } from './config-fields.ts';

/** `singleton` in the sidecar config: run `command` only while this instance holds the lease `name`. */
export interface SingletonConfig {
  name: string;
  /** One string (run by /bin/sh -c) or an argv array. */
  command: string | string[];
  /** SIGTERM to SIGKILL, ms. */
  grace: number;
  /** Pause before queueing again after the command ended or the lease was lost, ms. */
  restartDelay: number;
}

export function parseSingleton(value: unknown, warnings: string[]): SingletonConfig {
  const p = 'singleton';
  const s: Json = object(value, p);
  warnUnknown(s, p, ['name', 'command', 'grace', 'restartDelay'], warnings);
  const name = string(s, 'name', p);
  try {
    validateLeaseName(name);
  } catch {
    throw new SidecarConfigError('singleton.name', 'a lease name (1-128 letters, digits, ".", "_", "-")', name);
  }
  const command = s['command'];
  const ok = (typeof command === 'string' && command.trim() !== '')
    || (Array.isArray(command) && command.length > 0 && command.every((a) => typeof a === 'string') && command[0] !== '');
  if (!ok) throw new SidecarConfigError('singleton.command', 'a non-empty string or array of strings', command);
  return {
    name,
    command: command as string | string[],
    grace: optInt(s, 'grace', p, 0, 3_600_000, 'milliseconds') ?? 10_000,
    restartDelay: optInt(s, 'restartDelay', p, 0, 3_600_000, 'milliseconds') ?? 1_000,
  };
}
