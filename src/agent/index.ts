// The agent's public surface, re-exported by src/index.ts.
export { BalancedAgent } from './balanced-agent.ts';
export { createHttpAgent, HeraldHttpAgent, type HttpAgentOptions, type CueballOptions } from './http-agent.ts';
export type { BalancedAgentOptions } from './options.ts';
export type { AgentStats, BackendStats } from './stats.ts';
export { AgentClosedError, AgentDestroyedError, BackendRequestError, NoBackendsError } from './errors.ts';
