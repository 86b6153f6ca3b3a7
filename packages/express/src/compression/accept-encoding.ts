/**
 * Accept-Encoding (RFC 9110 §12.5.3): does the client take a gzip'd
 * representation, and may it still have the unencoded one?
 *
 * ```
 * Accept-Encoding  = #( codings [ weight ] )
 * codings          = content-coding / "identity" / "*"
 * weight           = OWS ";" OWS "q=" qvalue
 * ```
 *
 * Parsing is lenient on purpose: a malformed element is skipped, never an
 * error, because the worst a garbled header can cost is compression
 * (§12.5.3 lets a server ignore what it does not understand), and a client
 * must not get a 4xx for a header it cannot usually control.
 */

/** What the header allows, as weights 0..1 (0: refused). */
export interface EncodingPreference {
  readonly gzip: number;
  readonly identity: number;
  /** Whether identity's weight was given (by `identity` or `*`), rather than implied. */
  readonly identityListed: boolean;
}

/** The most elements looked at: a header with thousands of them is someone's experiment, not a browser. */
const MAX_ELEMENTS = 64;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * The weights of gzip and identity. No header at all: identity only (a
 * client that says nothing gets what it asked for before compression
 * existed, as every common server does; §12.5.3 would allow any coding).
 * `x-gzip` is gzip (§8.4.1.3). Unlisted identity stays acceptable unless
 * `*` or `identity` gives it q=0.
 *
 * @example preferenceOf('gzip, deflate, br') → { gzip: 1, identity: 1, identityListed: false }
 * @example preferenceOf('gzip;q=0') → { gzip: 0, identity: 1, identityListed: false }
 */
export function preferenceOf(header: string | undefined): EncodingPreference {
  if (header === undefined) return { gzip: 0, identity: 1, identityListed: false };
  let gzip: number | undefined;
  let identity: number | undefined;
  let star: number | undefined;
  const elements = header.split(',', MAX_ELEMENTS);
  for (const element of elements) {
    const [rawName, ...params] = element.split(';');
    const name = (rawName ?? '').trim().toLowerCase();
    if (name === '') continue;
    const q = weightOf(params);
    if (q === undefined) continue;
    // A coding listed twice: the first mention counts (a later one is most likely a proxy's addition).
    if (name === 'gzip' || name === 'x-gzip') gzip ??= q;
    else if (name === 'identity') identity ??= q;
    else if (name === '*') star ??= q;
  }
  const listed = identity ?? star;
  return { gzip: gzip ?? star ?? 0, identity: listed ?? 1, identityListed: listed !== undefined };
}

/** The element's q parameter (default 1); undefined when it is not a valid qvalue (the element is skipped). */
function weightOf(params: readonly string[]): number | undefined {
  let q = 1;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0) return undefined;
    if (param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const value = param.slice(eq + 1).trim();
    if (!QVALUE.test(value)) return undefined;
    q = Number(value);
  }
  return q;
}

/**
 * gzip when the client takes it at all, unless it weighted identity
 * higher: `gzip;q=0.5` alone still means gzip (identity is merely not
 * excluded, §12.5.3), `gzip;q=0.5, identity` means identity, and a tie goes
 * to gzip.
 */
export function choosesGzip(pref: EncodingPreference): boolean {
  return pref.gzip > 0 && (!pref.identityListed || pref.gzip >= pref.identity);
}
