/**
 * Which media types are worth gzip'ing: text and the structured text
 * formats (XML, JSON, JavaScript, SVG, calendars, contacts). An allow-list,
 * not a deny-list: a stored file of a type we do not recognise
 * (`application/octet-stream` above all) is most often already compressed
 * or binary, and gzip'ing a large one costs CPU, its Content-Length (progress
 * bars) and nothing gained. Already-compressed types (`image/*` but SVG,
 * `video/*`, `audio/*`, zip, gzip, 7z, PDF, office files, fonts) are thus
 * never compressed.
 */

const TEXT_APPLICATION = new Set([
  'application/xml',
  'application/json',
  'application/javascript',
  'application/ecmascript',
  'application/x-javascript',
  'application/x-ndjson',
  'application/x-sh',
  'application/x-tex',
  'application/x-yaml',
  'application/yaml',
  'application/toml',
  'application/sql',
  'application/graphql',
  'application/rtf',
  'application/x-httpd-php',
  'application/wasm',
  'image/svg+xml',
  'image/bmp',
  'image/x-icon',
  'image/vnd.microsoft.icon',
  'font/ttf',
  'font/otf',
]);

/**
 * True for a Content-Type whose content gzip usually shrinks a lot.
 *
 * @example isCompressible('application/xml; charset=utf-8') === true
 * @example isCompressible('image/png') === false
 */
export function isCompressible(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  let answer = answered.get(contentType);
  if (answer === undefined) {
    answer = decide(contentType);
    // Bounded: stored files bring their own Content-Types, and a client may send any.
    if (answered.size >= ANSWERED_MAX) answered.clear();
    answered.set(contentType, answer);
  }
  return answer;
}

/**
 * Answers by exact Content-Type: a server sends a handful of them (every
 * multistatus has the same one), and splitting and lower-casing the string
 * on each answer showed in the profile of a sync REPORT.
 */
const answered = new Map<string, boolean>();
const ANSWERED_MAX = 256;

function decide(contentType: string): boolean {
  const type = (contentType.split(';', 1)[0] as string).trim().toLowerCase();
  // Server-sent events are compressible, but a change stream writes one event at a time and must not wait for a compressor.
  if (type === 'text/event-stream') return false;
  if (type.startsWith('text/')) return true;
  if (TEXT_APPLICATION.has(type)) return true;
  return type.endsWith('+xml') || type.endsWith('+json');
}
