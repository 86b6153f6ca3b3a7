/**
 * PostgresChangeFeed's pure parts: the channel name fits PostgreSQL's
 * identifier limit for any schema name, and a commit too large for one
 * NOTIFY is published as its parents, one level up at a time.
 */
import { describe, expect, it } from '@jest/globals';
import { changeChannel } from '../src/index';
import { publishablePaths } from '../src/postgres-change-feed';

describe('PostgresChangeFeed', () => {
  it('channel names are short, stable and differ per schema', () => {
    const long = 'a'.repeat(63);
    expect(changeChannel(long).length).toBeLessThanOrEqual(63);
    expect(changeChannel('davsync')).toBe(changeChannel('davsync'));
    expect(changeChannel('davsync')).not.toBe(changeChannel('other'));
  });

  it('publishes the paths as given when they fit, else their parents, else the root', () => {
    const paths = Array.from({ length: 50 }, (_, i) => `/cal/sub/item${i}.ics`);
    expect(publishablePaths(paths, () => true)).toEqual(paths);
    expect(publishablePaths(paths, (p) => p.length <= 1)).toEqual(['/cal/sub']);
    expect(publishablePaths(['/a/x', '/b/y'], (p) => p.length <= 1)).toEqual(['/']);
    expect(publishablePaths(['/a/x', '/a/x'], () => true)).toEqual(['/a/x']);
  });
});
