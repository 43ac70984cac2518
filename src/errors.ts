/**
 * The root of every error Herald throws. Callers branch on `code`, which is
 * stable across releases; `message` is for people and may change.
 */
export class HeraldError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An `ADDRESS:PORT` to listen on that cannot be used. */
export class InvalidListenAddressError extends HeraldError {
  constructor(input: string, reason: string) {
    super('HERALD_INVALID_LISTEN', `invalid listen address ${JSON.stringify(input)}: ${reason}`);
  }
}

/** An option, argument or configuration value was not what was expected. */
export class InvalidArgumentError extends HeraldError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HERALD_INVALID_ARGUMENT', message, options);
  }
}
