export * from './types.ts';
export * from './errors.ts';
export * from './name.ts';
export * from './message.ts';
export { decodeMessage, nameAt } from './decode.ts';
export { MessageWriter, encodeMessage, encodeQuery, type QueryOptions } from './encode.ts';
export { fqdn, rdataText, unknownText } from './presentation.ts';
