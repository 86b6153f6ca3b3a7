/**
 * XML names used by davsync, declared once.
 *
 * Representation: Clark notation, `{namespace-uri}local-name`, e.g.
 * `{DAV:}sync-token`. A name in no namespace is just its local name
 * (`foo`). Clark strings compare with `===`, work as `Map` keys and say
 * exactly what XML Namespaces say an element's identity is: the prefix a
 * document happens to use is irrelevant (RFC 4918 §8.2 / XML Namespaces 1.0).
 */

/** The WebDAV namespace (RFC 4918 §21). */
export const DAV_NS = 'DAV:';

/** The namespace permanently bound to the `xml` prefix (XML Namespaces 1.0 §3). */
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** CalDAV (RFC 4791 §4); only used to give its names a readable prefix. */
export const CALDAV_NS = 'urn:ietf:params:xml:ns:caldav';

/** CardDAV (RFC 6352 §4); only used to give its names a readable prefix. */
export const CARDDAV_NS = 'urn:ietf:params:xml:ns:carddav';

/**
 * Builds a Clark name.
 *
 * @example clark('DAV:', 'getetag') === '{DAV:}getetag'; clark('', 'x') === 'x'
 */
export function clark(ns: string, local: string): string {
  return ns === '' ? local : `{${ns}}${local}`;
}

/**
 * Splits a Clark name into namespace and local name; a bare name is in no
 * namespace. Throws a `TypeError` for `{ns` without a closing brace, a
 * programming error rather than bad input.
 *
 * @example splitClark('{DAV:}prop') → { ns: 'DAV:', local: 'prop' }
 */
export function splitClark(name: string): { ns: string; local: string } {
  if (!name.startsWith('{')) return { ns: '', local: name };
  const close = name.indexOf('}');
  if (close < 0 || close === name.length - 1) throw new TypeError(`davsync: malformed Clark name ${JSON.stringify(name)}`);
  return { ns: name.slice(1, close), local: name.slice(close + 1) };
}

/** `DAV:` names, keyed by the camel-cased local name. */
export const DAV = {
  // --- RFC 4918 §14: XML elements ---------------------------------------
  /** RFC 4918 §14.2: PROPFIND asks for all (non-expensive) properties. */
  allprop: '{DAV:}allprop',
  /** RFC 4918 §14.3: resourcetype marker of a collection. */
  collection: '{DAV:}collection',
  /** RFC 4918 §14.5: precondition/postcondition container. */
  error: '{DAV:}error',
  /** RFC 4918 §14.7: a URI reference in a response. */
  href: '{DAV:}href',
  /** RFC 4918 §14.8: extra properties to include with allprop. */
  include: '{DAV:}include',
  /** RFC 4918 §14.9: the target of a redirect in a response. */
  location: '{DAV:}location',
  /** RFC 4918 §14.16 (extended by RFC 6578 §6.4): 207 response body. */
  multistatus: '{DAV:}multistatus',
  /** RFC 4918 §14.18: a list of properties (names or values). */
  prop: '{DAV:}prop',
  /** RFC 4918 §14.19: PROPPATCH body. */
  propertyupdate: '{DAV:}propertyupdate',
  /** RFC 4918 §14.20: PROPFIND body. */
  propfind: '{DAV:}propfind',
  /** RFC 4918 §14.21: PROPFIND asks for property names only. */
  propname: '{DAV:}propname',
  /** RFC 4918 §14.22: properties sharing one status. */
  propstat: '{DAV:}propstat',
  /** RFC 4918 §14.23: PROPPATCH removal instruction. */
  remove: '{DAV:}remove',
  /** RFC 4918 §14.24: one resource's entry in a multistatus. */
  response: '{DAV:}response',
  /** RFC 4918 §14.25: human-readable status detail. */
  responsedescription: '{DAV:}responsedescription',
  /** RFC 4918 §14.26: PROPPATCH set instruction. */
  set: '{DAV:}set',
  /** RFC 4918 §14.28: an HTTP status line. */
  status: '{DAV:}status',

  // --- RFC 4918 §15: properties -------------------------------------------
  /** RFC 4918 §15.1 */
  creationdate: '{DAV:}creationdate',
  /** RFC 4918 §15.2 */
  displayname: '{DAV:}displayname',
  /** RFC 4918 §15.3 */
  getcontentlanguage: '{DAV:}getcontentlanguage',
  /** RFC 4918 §15.4 */
  getcontentlength: '{DAV:}getcontentlength',
  /** RFC 4918 §15.5 */
  getcontenttype: '{DAV:}getcontenttype',
  /** RFC 4918 §15.6 */
  getetag: '{DAV:}getetag',
  /** RFC 4918 §15.7 */
  getlastmodified: '{DAV:}getlastmodified',
  /** RFC 4918 §15.8 */
  lockdiscovery: '{DAV:}lockdiscovery',
  /** RFC 4918 §15.9 */
  resourcetype: '{DAV:}resourcetype',
  /** RFC 4918 §15.10 */
  supportedlock: '{DAV:}supportedlock',
  /** RFC 4331 §3 */
  quotaAvailableBytes: '{DAV:}quota-available-bytes',
  /** RFC 4331 §4 */
  quotaUsedBytes: '{DAV:}quota-used-bytes',

  // --- RFC 4918 §16: precondition/postcondition codes ----------------------
  /** RFC 4918 §16 */
  lockTokenMatchesRequestUri: '{DAV:}lock-token-matches-request-uri',
  /** RFC 4918 §16 */
  lockTokenSubmitted: '{DAV:}lock-token-submitted',
  /** RFC 4918 §16 */
  noConflictingLock: '{DAV:}no-conflicting-lock',
  /** RFC 4918 §16: the server refuses external entities (we refuse any DOCTYPE). */
  noExternalEntities: '{DAV:}no-external-entities',
  /** RFC 4918 §16 */
  preservedLiveProperties: '{DAV:}preserved-live-properties',
  /** RFC 4918 §16 */
  propfindFiniteDepth: '{DAV:}propfind-finite-depth',
  /** RFC 4918 §16 */
  cannotModifyProtectedProperty: '{DAV:}cannot-modify-protected-property',

  // --- RFC 3253 (DeltaV) -----------------------------------------------------
  /** RFC 3253 §3.1.5: property listing the reports a resource supports. */
  supportedReportSet: '{DAV:}supported-report-set',
  /** RFC 3253 §3.1.5 element, and §3.6 precondition of REPORT. */
  supportedReport: '{DAV:}supported-report',
  /** RFC 3253 §3.1.5: wraps one report name inside supported-report. */
  report: '{DAV:}report',

  // --- RFC 5323 §5.17 (DASL), reused by RFC 6578 §3.7 ------------------------
  /** RFC 5323 §5.17 */
  limit: '{DAV:}limit',
  /** RFC 5323 §5.17 */
  nresults: '{DAV:}nresults',

  // --- RFC 6578 ----------------------------------------------------------------
  /** RFC 6578 §6.1: REPORT body. */
  syncCollection: '{DAV:}sync-collection',
  /** RFC 6578 §6.2 element and §4 property. */
  syncToken: '{DAV:}sync-token',
  /** RFC 6578 §6.3 */
  syncLevel: '{DAV:}sync-level',
  /** RFC 6578 §3.2 precondition. */
  validSyncToken: '{DAV:}valid-sync-token',
  /** RFC 6578 §3.2 postcondition (RFC 5323 §5.17 limit not honoured). */
  numberOfMatchesWithinLimits: '{DAV:}number-of-matches-within-limits',
  /** RFC 6578 §3.3: a child collection cannot be traversed by an infinite sync. */
  syncTraversalSupported: '{DAV:}sync-traversal-supported',
} as const;

/** WebDAV-Push (draft-bitfire-webdav-push §2.2): every element it defines is in this namespace. */
export const PUSH_NS = 'https://bitfire.at/webdav-push';

/** WebDAV-Push names, keyed by the camel-cased local name. */
export const PUSH = {
  // --- properties (§3.1) ---
  transports: `{${PUSH_NS}}transports`,
  webPush: `{${PUSH_NS}}web-push`,
  vapidPublicKey: `{${PUSH_NS}}vapid-public-key`,
  topic: `{${PUSH_NS}}topic`,
  supportedTriggers: `{${PUSH_NS}}supported-triggers`,
  contentUpdate: `{${PUSH_NS}}content-update`,
  propertyUpdate: `{${PUSH_NS}}property-update`,
  // --- registration (§4.1, §7.1, §7.3) ---
  pushRegister: `{${PUSH_NS}}push-register`,
  subscription: `{${PUSH_NS}}subscription`,
  webPushSubscription: `{${PUSH_NS}}web-push-subscription`,
  pushResource: `{${PUSH_NS}}push-resource`,
  contentEncoding: `{${PUSH_NS}}content-encoding`,
  subscriptionPublicKey: `{${PUSH_NS}}subscription-public-key`,
  authSecret: `{${PUSH_NS}}auth-secret`,
  trigger: `{${PUSH_NS}}trigger`,
  expires: `{${PUSH_NS}}expires`,
  // --- 403 preconditions (§4.1.3) ---
  invalidSubscription: `{${PUSH_NS}}invalid-subscription`,
  pushNotAvailable: `{${PUSH_NS}}push-not-available`,
  noSupportedTrigger: `{${PUSH_NS}}no-supported-trigger`,
  // --- messages (§5.1) ---
  pushMessage: `{${PUSH_NS}}push-message`,
} as const;

/** The `xml:lang` attribute (XML 1.0 §2.12), preserved on dead properties (RFC 4918 §4.3). */
export const XML_LANG = `{${XML_NS}}lang`;

/**
 * Prefixes the writer uses for well-known namespaces. Any prefix is correct;
 * readable ones help people reading traces, and some sloppy clients look for
 * `D:`. Other namespaces get generated prefixes.
 */
export const PREFERRED_PREFIXES: ReadonlyMap<string, string> = new Map([
  [DAV_NS, 'D'],
  [CALDAV_NS, 'C'],
  [CARDDAV_NS, 'CR'],
  [PUSH_NS, 'P'],
]);

/**
 * The ownCloud/Nextcloud namespace and the names davsync answers in it: the
 * WebDAV dialect rclone, lftp, PhotoSync and the Nextcloud clients speak
 * (see docs/clients.md).
 */
export const OC = {
  ns: 'http://owncloud.org/ns',
  /** The member's stable identity (`Entry.fileId`). */
  fileid: '{http://owncloud.org/ns}fileid',
  /** ownCloud's instance-qualified ID; davsync answers the same opaque value as `fileid`. */
  id: '{http://owncloud.org/ns}id',
  /** The content's digests (`SHA1:… MD5:…`), in one `checksum` child. */
  checksums: '{http://owncloud.org/ns}checksums',
  checksum: '{http://owncloud.org/ns}checksum',
} as const;
