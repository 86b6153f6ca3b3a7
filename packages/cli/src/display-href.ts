/**
 * An href as a person reads it. Servers send hrefs percent-encoded
 * (`/my%20notes.txt`); the human output of `davsync changes` shows the
 * names (`/my notes.txt`). The server chooses these bytes, so what is
 * shown must stay one harmless line: characters that could move the
 * cursor, end the line or reorder the text (controls, bidi overrides) stay
 * encoded, and so does an encoded `/` inside a name, which would otherwise
 * read as a path separator. Machine output (`--json`) keeps the raw href.
 */

/** Controls (C0, DEL, C1), and the invisible marks that change the direction or order of text on screen. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/gu;

export function displayHref(href: string): string {
  return href
    .split('/')
    .map((segment) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return segment; // not valid percent-encoding (or not UTF-8): shown as sent
      }
      return decoded.replace(/\//g, '%2F').replace(UNSAFE, (c) => encodeURIComponent(c));
    })
    .join('/');
}
