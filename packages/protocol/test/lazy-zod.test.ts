/**
 * zod is loaded only when a schema is first used (src/xml/lazy-schema.ts):
 * `davsync sync` imports this package for its request builders and answer
 * readers, and each of its passes is a process start. Checked in a plain
 * Node child on the built package, where `require.cache` shows what loaded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { propPatchSchema, propRequestSchema, syncCollectionRequestSchema } from '../src/index';

const DIST = join(__dirname, '..', 'dist', 'index.js');

describe('zod, loaded at first use', () => {
  (existsSync(DIST) ? it : it.skip)('requiring the package loads no zod; the first parse that needs a schema does', () => {
    const script = `
      const loaded = () => Object.keys(require.cache).some((k) => /[\\\\/]zod[\\\\/]/.test(k));
      const p = require(${JSON.stringify(DIST)});
      const before = loaded();
      p.propfindBody({ kind: 'prop', names: ['{DAV:}getetag'] });
      const afterBuilding = loaded();
      const checked = p.propRequestSchema.safeParse({ kind: 'prop', names: ['{DAV:}getetag'] }).success;
      console.log(JSON.stringify({ before, afterBuilding, after: loaded(), checked }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Record<string, boolean>;
    expect(out).toEqual({ before: false, afterBuilding: false, after: true, checked: true });
  });

  it('the exported schemas behave as schemas: they accept models and refuse bad ones', () => {
    expect(propRequestSchema.safeParse({ kind: 'allprop', include: [] }).success).toBe(true);
    expect(propRequestSchema.safeParse({ kind: 'prop', names: [''] }).success).toBe(false);
    expect(propPatchSchema.safeParse([{ op: 'remove', name: '{DAV:}x' }]).success).toBe(true);
    expect(propPatchSchema.safeParse([]).success).toBe(false);
    expect(syncCollectionRequestSchema.safeParse({ token: null, props: { kind: 'propname' } }).success).toBe(true);
    expect(syncCollectionRequestSchema.safeParse({ token: '', props: { kind: 'propname' } }).success).toBe(false);
    expect(() => propRequestSchema.parse({ kind: 'nope' })).toThrow();
  });
});
