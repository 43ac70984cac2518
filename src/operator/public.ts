// The operator view's public surface (herald status / herald why as a library); src/index.ts re-exports it.
export { RegistryReadError } from './errors.ts';
export { gatherStatus, gatherWhy, type GatherOptions } from './gather.ts';
export { statusReport, type StatusReport, type ServiceStatus, type InstanceStatus, type NameserverState } from './status-report.ts';
export { whyReport, type WhyReport } from './why-report.ts';
export { renderStatus } from './status-render.ts';
export { renderWhy } from './why-render.ts';
export { renderTable, type Cell, type Color } from './table.ts';
export { verdict } from './verdict.ts';
export type { InstanceState } from './instance-state.ts';
export type { NameserverReply, AnswerRecord } from './answers.ts';
