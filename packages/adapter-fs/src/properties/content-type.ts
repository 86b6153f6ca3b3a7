/**
 * Media types for files. A filesystem keeps no media type, so the adapter
 * derives one from the name's extension and stores only a PUT's type that
 * differs from it (see `fs-adapter.ts`). Files that other programs drop into
 * the root get a sensible type that way too.
 */
import { extname } from 'node:path';

/** What a file whose extension we do not know is served as (RFC 9110 §8.3). */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

// Small on purpose: the types sync clients and browsers care about. Text
// types carry no charset, because the adapter cannot know the encoding of a
// file it did not receive.
const BY_EXTENSION: ReadonlyMap<string, string> = new Map([
  ['vcf', 'text/vcard'],
  ['vcard', 'text/vcard'],
  ['ics', 'text/calendar'],
  ['ifb', 'text/calendar'],
  ['txt', 'text/plain'],
  ['md', 'text/markdown'],
  ['csv', 'text/csv'],
  ['html', 'text/html'],
  ['htm', 'text/html'],
  ['css', 'text/css'],
  ['js', 'text/javascript'],
  ['mjs', 'text/javascript'],
  ['json', 'application/json'],
  ['xml', 'application/xml'],
  ['pdf', 'application/pdf'],
  ['zip', 'application/zip'],
  ['gz', 'application/gzip'],
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
  ['svg', 'image/svg+xml'],
  ['mp3', 'audio/mpeg'],
  ['mp4', 'video/mp4'],
]);

/**
 * The media type a file gets from its name: the extension, case-insensitive,
 * looked up in a small built-in map; `application/octet-stream` otherwise.
 *
 * @example contentTypeFor('/contacts/alice.VCF') === 'text/vcard'
 */
export function contentTypeFor(name: string): string {
  const ext = extname(name).slice(1).toLowerCase();
  return BY_EXTENSION.get(ext) ?? DEFAULT_CONTENT_TYPE;
}
