import { HeraldError } from '../errors.ts';

/** A DNS name that cannot be sent on the wire (RFC 1035 §2.3.4). */
export class InvalidNameError extends HeraldError {
  readonly input: string;
  constructor(input: string, reason: string) {
    super('HERALD_INVALID_NAME', `invalid DNS name ${JSON.stringify(input)}: ${reason}`);
    this.input = input;
  }
}

/** A packet that does not parse: truncated, looping pointers, bad lengths. */
export class MalformedPacketError extends HeraldError {
  constructor(reason: string) {
    super('HERALD_MALFORMED_PACKET', `malformed DNS packet: ${reason}`);
  }
}
