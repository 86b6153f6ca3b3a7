/**
 * The header fields of resumable uploads (draft-ietf-httpbis-resumable-upload-12,
 * interop version 8): Structured Field Items (RFC 9651). `Upload-Complete`
 * is a Boolean (`?0`, `?1`), `Upload-Offset` and `Upload-Length` are
 * non-negative Integers (at most 15 digits). The draft says a value of
 * another shape makes the whole field ignored: these parsers return
 * `undefined` for it, and a request that needs the field then gets a 400.
 */

/** The interop version this server implements (the draft's appendix "Draft Version Identification"). */
export const INTEROP_VERSION = 8;

/** A Structured Field Item may carry parameters (`;a=1`); none are defined here, so they are dropped. */
function bareItem(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const item = value.trim();
  const cut = item.indexOf(';');
  return cut < 0 ? item : item.slice(0, cut);
}

export function parseBooleanField(value: string | undefined): boolean | undefined {
  const item = bareItem(value);
  return item === '?1' ? true : item === '?0' ? false : undefined;
}

export function parseIntegerField(value: string | undefined): number | undefined {
  const item = bareItem(value);
  return item !== undefined && /^[0-9]{1,15}$/.test(item) ? Number(item) : undefined;
}

/** Whether the request speaks the interop version this server does: only then is a 104 sent (the draft's rule). */
export function speaksInteropVersion(value: string | undefined): boolean {
  return parseIntegerField(value) === INTEROP_VERSION;
}

/** The `Upload-Limit` dictionary this server announces. */
export function uploadLimit(limits: { maxBytes?: number; maxAgeSeconds?: number }): string {
  const parts: string[] = [];
  if (limits.maxBytes !== undefined) parts.push(`max-size=${limits.maxBytes}`);
  if (limits.maxAgeSeconds !== undefined) parts.push(`max-age=${Math.max(0, Math.floor(limits.maxAgeSeconds))}`);
  // The draft: "If the server does not apply any limits, it MUST use min-size=0".
  return parts.length === 0 ? 'min-size=0' : parts.join(', ');
}
