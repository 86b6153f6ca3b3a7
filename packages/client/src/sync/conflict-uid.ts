/**
 * A conflict copy of a contact or an event, in an address book or a
 * calendar. The copy holds the same `UID` as the original, and to a CardDAV
 * or CalDAV server two members with one UID are one object: a second is
 * refused (Radicale: 409; RFC 6352 §6.3.2.1 and RFC 4791 §5.3.2.1
 * `no-uid-conflict`), so the copy could never be uploaded and the pass
 * would fail on it every time. The copy is given a UID of its own —
 * `OLD-conflict-XXXXXXXXXXXX` — before it is uploaded, so both versions
 * reach every device as two objects for the user to merge (the name and
 * the UID both say which one is the copy). In a plain folder of `.vcf`
 * files nothing is changed: there, one UID twice is no conflict.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import type { LocalFolder } from '../local/local-files';

/** Most bytes of a vCard or iCalendar object rewritten in memory; a larger file is left as it is. */
const MAX_OBJECT_BYTES = 16 * 1024 * 1024;

/**
 * `text` with every `UID` property that holds the first UID found given
 * `newUid(old)` instead; undefined when the text has no UID. Lines are
 * unfolded to be read (RFC 6350 §3.2, RFC 5545 §3.1), a rewritten property
 * is written on one line, every other line is kept byte for byte, line
 * ends (CRLF or LF) as they were.
 */
export function replaceUid(text: string, newUid: (old: string) => string): { text: string; from: string; to: string } | undefined {
  const lines = text.split(/(?<=\n)/); // each line keeps its own line end
  // Logical lines: a first physical line and the folded continuations after it.
  const logical: { start: number; end: number; value: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const content = raw.replace(/\r?\n$/, '');
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && logical.length > 0) {
      const last = logical[logical.length - 1]!;
      last.value += content.slice(1);
      last.end = i;
    } else logical.push({ start: i, end: i, value: content });
  }
  let from: string | undefined;
  let to = '';
  const out: string[] = [];
  let next = 0;
  for (const l of logical) {
    const m = /^(UID(?:;[^:]*)?):(.*)$/i.exec(l.value);
    if (m !== null) {
      const value = m[2]!;
      if (from === undefined) {
        from = value;
        to = newUid(value);
      }
      if (value === from) {
        out.push(...lines.slice(next, l.start));
        const eol = /\r?\n$/.exec(lines[l.end]!)?.[0] ?? '';
        out.push(`${m[1]}:${to}${eol}`);
        next = l.end + 1;
      }
    }
  }
  if (from === undefined) return undefined;
  out.push(...lines.slice(next));
  return { text: out.join(''), from, to };
}

/** The copy's new UID: the old one, marked, and made unique. */
export function conflictUid(old: string): string {
  return `${old}-conflict-${randomBytes(6).toString('hex')}`;
}

/**
 * Gives the local conflict copy at `path` a UID of its own, written
 * durably (temporary file, fsync, rename) before it is uploaded. Returns
 * the new UID, or undefined when the file has none (nothing to clash).
 */
export async function giveCopyItsOwnUid(local: LocalFolder, path: string): Promise<string | undefined> {
  const file = local.abs(path);
  const bytes = await readFile(file);
  if (bytes.length > MAX_OBJECT_BYTES) return undefined;
  const replaced = replaceUid(bytes.toString('utf8'), conflictUid);
  if (replaced === undefined) return undefined;
  const temp = local.tempFile();
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(replaced.text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await local.install(temp, path);
  return replaced.to;
}
