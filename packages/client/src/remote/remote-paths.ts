/**
 * Between a server's hrefs and the client's paths. A path is relative to
 * the synced collection, `/`-separated, decoded, with no leading or
 * trailing slash (`''` is the collection itself): the same string names a
 * file locally and remotely. An href may be a path or an absolute URI, and
 * servers differ in what they percent-encode, so hrefs are resolved and
 * decoded segment by segment, never compared as text.
 */
import type { MemberNames } from './member-names';

export class RemotePaths {
  /** The collection's URL, always ending in `/`. */
  readonly root: URL;
  private readonly rootPath: string;
  /** Local names for members of an address book or calendar whose own names are not usable (see `member-names.ts`). */
  private names: MemberNames | undefined;

  constructor(url: string | URL) {
    const root = new URL(url);
    if (!root.pathname.endsWith('/')) root.pathname += '/';
    root.search = '';
    root.hash = '';
    this.root = root;
    this.rootPath = decodePath(root.pathname);
  }

  /** From now on, members' unusable names are mapped to local names by `names`. */
  useNames(names: MemberNames): void {
    this.names = names;
  }

  /** The URL of a path (`collection`: with the trailing slash collections have). */
  urlOf(path: string, collection = false): string {
    if (path === '') return this.root.href;
    const segment = this.names?.segmentOf(path);
    // `./`: a segment with a `:` must not read as a URL scheme.
    if (segment !== undefined) return new URL(`./${segment}`, this.root).href;
    const encoded = path.split('/').map(encodeSegment).join('/');
    return new URL(encoded + (collection ? '/' : ''), this.root).href;
  }

  /**
   * The path an href names, and whether it ended in `/` (a collection hint);
   * `undefined` for an href outside the collection (a server may list
   * things elsewhere) or one that does not decode.
   */
  pathOf(href: string): { path: string; slash: boolean } | undefined {
    let resolved: URL;
    try {
      resolved = new URL(href, this.root);
    } catch {
      return undefined;
    }
    if (resolved.origin !== this.root.origin) return undefined;
    const member = this.names === undefined ? undefined : this.memberSegment(resolved.pathname);
    const mapped = member === undefined ? undefined : this.names?.localOf(member);
    if (mapped !== undefined) return { path: mapped, slash: false };
    let pathname: string;
    try {
      pathname = decodePath(resolved.pathname);
    } catch {
      return undefined;
    }
    const slash = pathname.endsWith('/');
    const bare = slash ? pathname : `${pathname}/`;
    if (!bare.startsWith(this.rootPath)) return undefined;
    const path = bare.slice(this.rootPath.length, -1);
    if (path.split('/').some((s) => s === '.' || s === '..')) return undefined;
    return { path, slash };
  }

  /**
   * The last segment of a direct, non-collection member's pathname, in one
   * canonical encoding (servers differ in what they percent-encode, and the
   * same member must map to the same name); undefined for anything else.
   */
  private memberSegment(pathname: string): string | undefined {
    if (pathname.endsWith('/')) return undefined;
    const slash = pathname.lastIndexOf('/');
    let parent: string;
    try {
      parent = decodePath(pathname.slice(0, slash + 1));
    } catch {
      return undefined;
    }
    if (parent !== this.rootPath) return undefined;
    const raw = pathname.slice(slash + 1);
    try {
      return encodeSegment(decodeURIComponent(raw));
    } catch {
      return raw;
    }
  }
}

/**
 * Why an href inside the collection has no path, or undefined (it has one,
 * or it is outside the collection, which is not ours to sync).
 */
export function unreadableReason(paths: RemotePaths, href: string): string | undefined {
  if (paths.pathOf(href) !== undefined) return undefined;
  let resolved: URL;
  try {
    resolved = new URL(href, paths.root);
  } catch {
    return 'an href that is not a URL';
  }
  if (resolved.origin !== paths.root.origin || !resolved.pathname.startsWith(paths.root.pathname)) return undefined;
  return 'a name no local file can have (an encoded "/", a "." or ".." segment, or broken percent-encoding)';
}

/** Each segment decoded; a `%2F` inside a name stays out of the path structure by being refused. */
function decodePath(pathname: string): string {
  return pathname
    .split('/')
    .map((s) => {
      const d = decodeURIComponent(s);
      if (d.includes('/')) throw new URIError('an encoded slash in a name');
      return d;
    })
    .join('/');
}

/** encodeURIComponent, plus the sub-delims some servers mishandle raw. */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
