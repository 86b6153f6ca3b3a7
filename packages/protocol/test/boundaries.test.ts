import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

// The package's rule (README): no sync engine, no HTTP server, so a client
// can use it without the middleware. Checked on the sources, imports and
// comments alike, as `grep -rn "@davsync/core\|node:http" src` would.
const SRC = join(__dirname, '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('@davsync/protocol stands alone', () => {
  const files = sources(SRC);

  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(['@davsync/core', 'node:http'])('no source names %s', (forbidden) => {
    const offenders = files.filter((f) => readFileSync(f, 'utf8').includes(forbidden));
    expect(offenders).toEqual([]);
  });

  it('imports (and re-exports) only its own modules, saxes, xmlbuilder2 (types; loaded on first use), zod, node:util, node:buffer (UTF-8 validation) and node:crypto (chunk hashes)', () => {
    const imported = new Set<string>();
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/^(?:import|export) [^;]*? from '([^']+)';$/gm)) imported.add(m[1] as string);
    }
    const external = [...imported].filter((spec) => !spec.startsWith('.')).sort();
    expect(external).toEqual(['node:buffer', 'node:crypto', 'node:util', 'saxes', 'xmlbuilder2', 'zod']);
  });
});
