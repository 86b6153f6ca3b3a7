// Copied into the temporary project and run there: loads each entry point
// given on the command line both ways, with require() and with import, and
// prints, as JSON, the names require() gives and those import lacks.
// (The packages compile to CommonJS; Node's ESM import of them finds named
// exports by reading their source, which must keep a shape it recognises.)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const result = {};
for (const spec of process.argv.slice(2)) {
  const cjs = Object.keys(require(spec)).filter((k) => k !== '__esModule').sort();
  const esm = await import(spec);
  result[spec] = { names: cjs, missingInImport: cjs.filter((k) => !(k in esm)) };
}
process.stdout.write(JSON.stringify(result));
