import { HeraldError } from '../errors.ts';

/** Another roll holds the service's lease: two rolls never run on one service at once. */
export class RollBusyError extends HeraldError {
  constructor(message: string) {
    super('HERALD_ROLL_BUSY', message);
  }
}

/** The plan in the registry does not allow what was asked (`--continue` without a plan, a new roll over an unfinished one). */
export class RollPlanError extends HeraldError {
  constructor(message: string) {
    super('HERALD_ROLL_PLAN', message);
  }
}

/** `--min-available` that is not a count or a percentage. */
export class BudgetSpecError extends HeraldError {
  constructor(text: string) {
    super('HERALD_INVALID_ARGUMENT', `--min-available must be a count (2) or a percentage (66%), got "${text}"`);
  }
}
