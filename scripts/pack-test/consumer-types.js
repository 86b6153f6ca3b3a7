'use strict';
// A TypeScript consumer of the installed tarballs, in both module systems:
// every value an entry point exports at run time is imported by name from
// an ES module (.mts) and from CommonJS (.cts), and `tsc` must resolve each
// one to a declaration through the package's `exports` "types".
const fs = require('node:fs');
const path = require('node:path');

/** Writes `types/` into `project`; `names` maps each entry point to its run-time export names. */
function writeConsumerTypes(project, names) {
  const dir = path.join(project, 'types');
  fs.mkdirSync(dir, { recursive: true });
  const imports = [];
  const uses = [];
  Object.entries(names).forEach(([spec, list], i) => {
    const aliases = list.map((name) => `${name} as e${i}_${name}`);
    imports.push(`import { ${aliases.join(', ')} } from '${spec}';`);
    uses.push(...list.map((name) => `e${i}_${name}`));
  });
  const body = `${imports.join('\n')}\n\nexport const used: unknown[] = [${uses.join(', ')}];\n`;
  fs.writeFileSync(path.join(dir, 'esm.mts'), body);
  fs.writeFileSync(path.join(dir, 'cjs.cts'), body);
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          types: ['node'],
        },
        files: ['esm.mts', 'cjs.cts'],
      },
      null,
      2,
    ),
  );
  return path.join(dir, 'tsconfig.json');
}

module.exports = { writeConsumerTypes };
