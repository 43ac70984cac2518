import { HeraldError } from '../errors.ts';

/** The registry could not be read for a status or an explanation (no session in time, a read failed). */
export class RegistryReadError extends HeraldError {
  constructor(detail: string) {
    super('HERALD_OPERATOR_REGISTRY_READ', `cannot read the registry: ${detail}`);
  }
}
