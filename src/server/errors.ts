import { HeraldError } from '../errors.ts';

/** A `--listen` address that cannot be used. */
export class InvalidListenAddressError extends HeraldError {
  constructor(input: string, reason: string) {
    super('HERALD_INVALID_LISTEN', `invalid listen address ${JSON.stringify(input)}: ${reason}`);
  }
}

/** A socket could not be bound (port in use, no permission). */
export class ListenError extends HeraldError {
  constructor(address: string, port: number, cause: unknown) {
    super('HERALD_LISTEN_FAILED', `cannot listen on ${address}:${port}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}
