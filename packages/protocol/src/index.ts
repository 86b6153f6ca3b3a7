/**
 * `@davsync/protocol`: WebDAV on the wire, without a server. XML in and out,
 * the header parsers, and the multistatus and sync-collection requests and
 * answers, shared by the server (`@davsync/express`) and clients (the
 * `davsync changes` command). It imports neither `@davsync/core` nor
 * `node:http`; every refusal is a {@link ProtocolError}.
 *
 * @packageDocumentation
 */
export { ProtocolError, PROTOCOL_ERROR_REASONS, isProtocolError } from './protocol-error';
export type { ProtocolErrorReason } from './protocol-error';
export { reasonPhrase } from './reason-phrases';
