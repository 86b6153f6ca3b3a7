/**
 * Local names for the members of an address book or calendar whose own
 * names are not usable file names. CardDAV and CalDAV servers choose their
 * members' names (an href is an identifier, RFC 6352 §5.1): some give
 * `UID.vcf`, some a bare ID with no extension, some names with an encoded
 * `/` or too long for a file system. Such a member gets a local name — its
 * own name made safe, with the collection's extension (`.vcf` or `.ics`),
 * numbered when that is taken — and the pair is kept in the client state
 * (`names` table), so the name is the same on every pass and every request
 * for that file goes to the member's own href.
 *
 * Only direct members of the synced collection are mapped (address books and
 * calendars are flat), and only when the collection says what it is
 * (`resourcetype` addressbook or calendar): a plain WebDAV folder's names are
 * never changed.
 */
export type DavObjectExtension = '.vcf' | '.ics';

/** At most this many UTF-8 bytes of a member's own name are kept in its local name (file systems allow 255). */
const MAX_BASE_BYTES = 200;

export class MemberNames {
  private readonly byHref = new Map<string, string>();
  private readonly byPath = new Map<string, string>();

  /**
   * @param known pairs of (canonical href segment, local name) from the state
   * @param onNew called with each new pair before it is used (the caller stores it)
   */
  constructor(
    readonly extension: DavObjectExtension,
    known: Iterable<readonly [string, string]>,
    private readonly onNew: (segment: string, path: string) => void = () => undefined,
  ) {
    for (const [segment, path] of known) this.remember(segment, path);
  }

  /**
   * The local name of the member whose last href segment is `segment`
   * (canonical: see `canonicalSegment`), or undefined when its own name is
   * usable and is the local name.
   */
  localOf(segment: string): string | undefined {
    const mapped = this.byHref.get(segment);
    if (mapped !== undefined) return mapped;
    const decoded = decodeOrUndefined(segment);
    if (decoded !== undefined && usable(decoded, this.extension)) return undefined;
    const base = safeBase(decoded ?? segment);
    let path = `${base}${this.extension}`;
    for (let n = 2; this.byPath.has(path); n++) path = `${base} (${n})${this.extension}`;
    this.onNew(segment, path);
    this.remember(segment, path);
    return path;
  }

  /** The href segment a mapped local name stands for, or undefined (the name is the member's own). */
  segmentOf(path: string): string | undefined {
    return this.byPath.get(path);
  }

  private remember(segment: string, path: string): void {
    this.byHref.set(segment, path);
    this.byPath.set(path, segment);
  }
}

/** A name that is its own local name: decodes, has the extension, and is a plain, not too long file name. */
function usable(name: string, extension: DavObjectExtension): boolean {
  return (
    name.toLowerCase().endsWith(extension) &&
    name.length > extension.length &&
    !/[/\\\u0000-\u001f\u007f]/.test(name) &&
    !name.startsWith('.') &&
    Buffer.byteLength(name) <= MAX_BASE_BYTES + extension.length
  );
}

/** The member's own name without what a file name cannot hold (and without a leading dot: no hidden files). */
function safeBase(name: string): string {
  let base = name.replace(/[/\\\u0000-\u001f\u007f]/g, '_').replace(/^\.+/, '_');
  while (Buffer.byteLength(base) > MAX_BASE_BYTES) base = base.slice(0, -1);
  return base === '' ? '_' : base;
}

function decodeOrUndefined(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The extension an address book's or calendar's members get locally; undefined for any other collection. */
export function memberExtension(root: { readonly davCollection?: 'addressbook' | 'calendar' }): DavObjectExtension | undefined {
  return root.davCollection === 'addressbook' ? '.vcf' : root.davCollection === 'calendar' ? '.ics' : undefined;
}
