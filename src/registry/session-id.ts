/**
 * A session id as zkCli prints a node's `ephemeralOwner`: `0x` and the
 * 64-bit id in lower-case hex without leading zeros (`0x1000a3c5e2b0003`).
 * Undefined for 0, the owner of every persistent node.
 */
export function sessionIdHex(id: Buffer): string | undefined {
  if (id.length === 0 || id.every((b) => b === 0)) return undefined;
  return `0x${BigInt(`0x${id.toString('hex')}`).toString(16)}`;
}
