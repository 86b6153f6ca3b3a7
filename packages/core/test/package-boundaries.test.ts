/**
 * The layering docs/architecture.md draws, checked on the sources: the core
 * knows no HTTP, XML or concrete store; adapters know no HTTP and no wire
 * protocol. (`@davsync/protocol` checks its own rule: no core, no node:http.)
 * An import is any `import … from`, `export … from`, `import()` or
 * `require()` of a module that is not a relative path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const PACKAGES = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every non-relative module a package's sources import, with the files that do. */
function importsOf(pkg: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of sources(join(PACKAGES, pkg, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const specs = [
      ...text.matchAll(/^(?:import|export) [^;]*? from '([^']+)';$/gm),
      ...text.matchAll(/\b(?:import|require)\('([^']+)'\)/g),
    ].map((m) => m[1] as string);
    for (const spec of specs) if (!spec.startsWith('.')) out.set(spec, [...(out.get(spec) ?? []), file.slice(PACKAGES.length + 1)]);
  }
  return out;
}

/** Modules no source of the package may import. */
const HTTP = ['node:http', 'node:https', 'node:http2', 'node:net', 'express', '@davsync/express'];
const RULES: Record<string, { forbidden: readonly string[]; why: string }> = {
  core: { forbidden: [...HTTP, '@davsync/protocol', 'saxes', 'xmlbuilder2', '@davsync/adapter-memory', '@davsync/adapter-fs', '@davsync/adapter-postgres', 'better-sqlite3', 'pg'], why: 'the core knows no HTTP, XML or concrete store' },
  'adapter-memory': { forbidden: [...HTTP, '@davsync/protocol'], why: 'an adapter knows no HTTP or wire protocol' },
  'adapter-fs': { forbidden: [...HTTP, '@davsync/protocol'], why: 'an adapter knows no HTTP or wire protocol' },
  'adapter-postgres': { forbidden: [...HTTP, '@davsync/protocol'], why: 'an adapter knows no HTTP or wire protocol' },
  client: {
    // node:http and node:https as a client only: Node 20's fetch buffers a streamed request body whole (remote/streamed-request.ts).
    forbidden: [...HTTP.filter((m) => m !== 'node:http' && m !== 'node:https'), '@davsync/core', '@davsync/adapter-memory', '@davsync/adapter-fs', '@davsync/adapter-postgres', 'saxes', 'xmlbuilder2'],
    why: 'the client speaks WebDAV through protocol, fetch and (for file bodies) the node:http client: no server, no sync engine, no XML library of its own',
  },
};

describe('package boundaries', () => {
  it.each(Object.keys(RULES))('%s imports nothing its layer forbids', (pkg) => {
    const imports = importsOf(pkg);
    expect(imports.size).toBeGreaterThan(0); // the scan found the sources
    const { forbidden, why } = RULES[pkg]!;
    const offending = [...imports].filter(([spec]) => forbidden.includes(spec)).map(([spec, files]) => `${spec} (${why}): ${files.join(', ')}`);
    expect(offending).toEqual([]);
  });

  it('the scan sees dynamic imports too (the CLI loads its stores with import())', () => {
    expect([...importsOf('cli').keys()]).toEqual(expect.arrayContaining(['@davsync/adapter-fs', '@davsync/adapter-postgres', 'node:http']));
  });
});
