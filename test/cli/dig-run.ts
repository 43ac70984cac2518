import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `herald ARGV` in this process with captured streams. */
export async function herald(argv: string[], signal = new AbortController().signal): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => { out += c.toString(); });
  stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const code = await main(argv, { stdout, stderr, env: process.env, signal });
  return { code, stdout: out, stderr: err };
}
