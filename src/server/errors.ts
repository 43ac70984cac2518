import { HeraldError } from '../errors.ts';

export { InvalidListenAddressError } from '../errors.ts';

/** A socket could not be bound (port in use, no permission). */
export class ListenError extends HeraldError {
  constructor(address: string, port: number, cause: unknown) {
    super('HERALD_LISTEN_FAILED', `cannot listen on ${address}:${port}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}
