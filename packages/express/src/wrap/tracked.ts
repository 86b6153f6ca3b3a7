/**
 * Which of the host's collections davsync tracks. A tracked collection is
 * syncable (REPORT sync-collection, `DAV:sync-token`), and every change
 * inside it is recorded; paths outside every tracked collection are none of
 * davsync's business.
 *
 * A rule is a path pattern, a regular expression tested against member
 * paths (decoded, no trailing slash: `/addressbooks/alice/contacts`), or a
 * predicate. Patterns match whole paths, segment by segment: `*` is exactly
 * one segment, `**` any number of segments (none included), anything else
 * is literal.
 */

/** A pattern (`/addressbooks/*\/*`), a RegExp, or a predicate over member paths. */
export type TrackedRule = string | RegExp | ((path: string) => boolean);

/** Several rules; a collection is tracked when any of them matches. */
export type TrackedOption = TrackedRule | readonly TrackedRule[];

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Compiles a path pattern into a RegExp over member paths.
 *
 * @example patternToRegExp('/addressbooks/*\/*').test('/addressbooks/alice/contacts') === true
 */
export function patternToRegExp(pattern: string): RegExp {
  if (!pattern.startsWith('/')) throw new TypeError(`davsync: a tracked pattern must start with "/": ${JSON.stringify(pattern)}`);
  const segments = pattern.split('/').filter((s) => s !== '');
  if (segments.length === 0) return /^\/$/;
  let source = '^';
  for (const s of segments) {
    if (s === '**') source += '(?:/[^/]+)*';
    else if (s === '*') source += '/[^/]+';
    else if (s.includes('*')) throw new TypeError(`davsync: "*" must be a whole segment in a tracked pattern: ${JSON.stringify(pattern)}`);
    else source += '/' + escapeRegExp(s);
  }
  // `/**` alone also matches the root.
  return new RegExp(segments.every((s) => s === '**') ? `${source}$|^/$` : `${source}$`);
}

/** Answers "is this path a tracked collection?" and "which tracked collection holds it?". */
export class TrackedCollections {
  private readonly tests: Array<(path: string) => boolean>;

  constructor(option: TrackedOption) {
    const rules = Array.isArray(option) ? (option as readonly TrackedRule[]) : [option as TrackedRule];
    this.tests = rules.map((rule) => {
      if (typeof rule === 'function') return (p: string) => rule(p) === true;
      const re = typeof rule === 'string' ? patternToRegExp(rule) : new RegExp(rule.source, rule.flags.replace(/[gy]/g, ''));
      return (p: string) => re.test(p);
    });
  }

  /** True when `path` itself is a tracked collection. */
  isTracked(path: string): boolean {
    return this.tests.some((t) => t(path));
  }

  /**
   * The outermost tracked collection that is `path` or one of its
   * ancestors, or `undefined` when `path` lies in no tracked collection.
   * Outermost, because adopting it covers every path below.
   */
  rootOf(path: string): string | undefined {
    if (this.isTracked('/')) return '/';
    if (path === '/') return undefined;
    let prefix = '';
    for (const segment of path.slice(1).split('/')) {
      prefix += '/' + segment;
      if (this.isTracked(prefix)) return prefix;
    }
    return undefined;
  }
}
