/**
 * Between a server's hrefs and the client's paths. A path is relative to
 * the synced collection, `/`-separated, decoded, with no leading or
 * trailing slash (`''` is the collection itself): the same string names a
 * file locally and remotely. An href may be a path or an absolute URI, and
 * servers differ in what they percent-encode, so hrefs are resolved and
 * decoded segment by segment, never compared as text.
 */
export class RemotePaths {
  /** The collection's URL, always ending in `/`. */
  readonly root: URL;
  private readonly rootPath: string;

  constructor(url: string | URL) {
    const root = new URL(url);
    if (!root.pathname.endsWith('/')) root.pathname += '/';
    root.search = '';
    root.hash = '';
    this.root = root;
    this.rootPath = decodePath(root.pathname);
  }

  /** The URL of a path (`collection`: with the trailing slash collections have). */
  urlOf(path: string, collection = false): string {
    if (path === '') return this.root.href;
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
