import { HeraldError } from '../errors.ts';

/** No backend could take the request within the claim timeout. */
export class NoBackendsError extends HeraldError {
  constructor(message: string) {
    super('HERALD_NO_BACKENDS', message);
  }
}

/**
 * Every attempt a request was allowed failed. `cause` is the last attempt's
 * error (an undici error with its own code, e.g. `ECONNREFUSED`).
 */
export class BackendRequestError extends HeraldError {
  /** The backend key of the last attempt. */
  readonly backend: string;
  readonly attempts: number;

  constructor(message: string, backend: string, attempts: number, cause: unknown) {
    super('HERALD_BACKEND_FAILED', message, { cause });
    this.backend = backend;
    this.attempts = attempts;
  }
}

/** The agent was closed: no new requests are taken. */
export class AgentClosedError extends HeraldError {
  constructor() {
    super('HERALD_AGENT_CLOSED', 'the agent is closed');
  }
}

/** The agent was destroyed: requests still in flight are failed with this. */
export class AgentDestroyedError extends HeraldError {
  constructor() {
    super('HERALD_AGENT_DESTROYED', 'the agent was destroyed');
  }
}
