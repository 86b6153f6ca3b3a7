/**
 * `@davsync/protocol`: WebDAV on the wire, without a server. XML in and out,
 * the header parsers, and the multistatus and sync-collection requests and
 * answers, shared by the server (`@davsync/express`) and clients (the
 * `davsync changes` command). It imports neither the sync engine's package
 * nor Node's HTTP module; every refusal is a {@link ProtocolError}.
 *
 * @packageDocumentation
 */
export { ProtocolError, PROTOCOL_ERROR_REASONS, isProtocolError } from './protocol-error';
export type { ProtocolErrorReason } from './protocol-error';
export { reasonPhrase } from './reason-phrases';

// XML in: the hardened reader, and the element tree it builds.
export { DEFAULT_XML_LIMITS, childrenNamed, parseXml, parseXmlIfPresent, trimXmlSpace } from './xml/reader';
export type { XmlElement, XmlHandOff, XmlInput, XmlLimits } from './xml/reader';
export { CALDAV_NS, CARDDAV_NS, DAV, DAV_NS, OC, PUSH, PUSH_NS, XML_LANG, XML_NS, clark, splitClark } from './xml/names';
export { parsePushRegister, pushMessageBody } from './xml/push';
export type { PushMessageContent, PushRegisterDepth, PushRegisterRefusal, PushRegisterRequest, PushRegisterResult } from './xml/push';

// Request bodies.
export { parsePropfind, propRequestSchema } from './xml/propfind';
export type { PropRequest } from './xml/propfind';
export { parsePropPatch, propPatchSchema } from './xml/proppatch';
export type { PropPatchOp } from './xml/proppatch';
export { MAX_NRESULTS, parseSyncCollection, syncCollectionRequestSchema } from './xml/sync-collection';
export type { SyncCollectionRequest } from './xml/sync-collection';
export { propfindBody, syncCollectionBody } from './xml/request-bodies';
export type { SyncCollectionBodyOptions } from './xml/request-bodies';

// Headers.
export { DEFAULT_IF_LIMITS, NO_LOCK_TOKEN, evaluateIf, parseIf } from './headers/if';
export type { IfCondition, IfHeader, IfLimits, IfList, IfResolver } from './headers/if';
export { parseDepth } from './headers/depth';
export type { Depth } from './headers/depth';
export { MAX_DESTINATION_LENGTH, parseDestination } from './headers/destination';
export type { Destination } from './headers/destination';
export { parseOverwrite } from './headers/overwrite';
export { LATEST_CLIENT_TIME_MS, parseOcMtime, parseUnixSeconds } from './headers/client-time';
export { parseHttpDate } from './headers/http-date';
export {
  DEFAULT_ETAG_LIST_LIMITS,
  ifMatchPasses,
  ifNoneMatchPasses,
  isWeak,
  parseEtagList,
  strongMatch,
  strongMatchesCurrent,
  weakMatch,
  weakMatchesCurrent,
} from './headers/etag-match';
export type { CurrentEtags, EtagListLimits } from './headers/etag-match';
export { isAbsoluteUri, isSimpleRef, splitSimpleRef } from './headers/uri';
export { basicAuthorization } from './headers/authorization';
export type { SimpleRef } from './headers/uri';

// XML out: multistatus (a string writer), DAV:error bodies and whole small documents (xmlbuilder2), dead properties.
export { MultistatusWriter, multistatusChunks, propstatsOf, statusLine } from './xml/multistatus';
export type { MultistatusResponse, MultistatusTrailer, PropEntry, PropValue, Propstat, PropstatResponse, StatusResponse } from './xml/multistatus';
export { errorBody } from './xml/error-body';
export type { ErrorCondition } from './xml/error-body';
export type { XmlNode } from './xml/fragment';
export { serializeElement } from './xml/serialize';
export { buildXml } from './xml/build';

// Answers, read by clients: any multistatus (PROPFIND), sync answers, DAV:error bodies.
export { isCollectionEntry, propText, readMultistatus, readMultistatusEach } from './xml/multistatus-response';
export type { MultistatusAnswer, MultistatusEntry, MultistatusLimits } from './xml/multistatus-response';
export { readDavError, readSyncAnswer, readSyncAnswerEach, readSyncResponse } from './xml/sync-response';
export type { SyncAnswer, SyncAnswerEntry, SyncChangeType, SyncResponse, SyncResponseEntry, SyncResponseLimits } from './xml/sync-response';

// Content-defined chunking (FastCDC) for `ds:chunk-hashes`, the same on server and client.
export { ContentChunker, FASTCDC_CHUNKER, FASTCDC_PARAMS, MAX_CHUNK_LIMIT, chunksOf, isChunkParams } from './chunks/content-chunks';
export type { ChunkParams, ContentChunk } from './chunks/content-chunks';
