// The rolling update (`herald roll`) as a library.
export { runRoll, rollLeaseName, type RollOptions, type RollEvent, type RollSummary } from './run-roll.ts';
export { parseMinAvailable, formatMinAvailable, requiredAvailable, judgeBudget, type MinAvailable, type BudgetVerdict } from './budget.ts';
export { ROLL_ROOT, planPath, progressPath, advance, resumePoint, type RollPlan, type InstanceProgress, type Step } from './plan.ts';
export { observeService, judgeAvailable, type ServiceView, type InstanceView } from './availability.ts';
export { lowerTtl, removeTtlOverride, judgeTtl, type FastTtlOutcome, type TtlSeen } from './fast-ttl.ts';
export { substitute, commandEnv } from './command.ts';
export { renderPlan, stepLine } from './view.ts';
export { RollBusyError, RollPlanError, BudgetSpecError } from './errors.ts';
export { waitForBudget, type BudgetWaitOptions, type BudgetWait } from './budget-wait.ts';
