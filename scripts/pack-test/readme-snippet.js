'use strict';
// The README's embedding example, run as a user would copy it. It is read
// from README.md every time, so a change to the README is what gets tested.
const fs = require('node:fs');
const ts = require('typescript');

/** The first ```ts or ```js block under the heading `## Embedding`. */
function embeddingSnippet(readmePath) {
  const text = fs.readFileSync(readmePath, 'utf8');
  const section = /^## Embedding[ \t]*\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(text);
  if (!section) throw new Error(`${readmePath} has no "## Embedding" section`);
  const block = /^```(?:ts|typescript|js|javascript|mjs)[ \t]*\n([\s\S]*?)^```/m.exec(section[1]);
  if (!block) throw new Error(`the "## Embedding" section of ${readmePath} has no \`\`\`ts code block`);
  return block[1];
}

/** The path the snippet mounts davsync under (`app.use('/dav', …)`), or '/'. */
function mountPath(snippet) {
  const m = /\.use\(\s*(['"`])(\/[^'"`]*)\1\s*,/.exec(snippet);
  return m ? m[2] : '/';
}

function transpile(snippet, module) {
  const out = ts.transpileModule(snippet, {
    compilerOptions: { module, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    reportDiagnostics: true,
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    throw new Error(`the README snippet does not parse: ${ts.flattenDiagnosticMessageText(errors[0].messageText, ' ')}`);
  }
  return out.outputText;
}

/** The snippet as an ES module (server.mjs): types, if any, stripped; nothing else changed. */
function asEsModule(snippet) {
  return transpile(snippet, ts.ModuleKind.ESNext);
}

/**
 * The snippet as CommonJS (server.cjs): imports become require() calls and,
 * as the README's comment says, the awaits go in an async function.
 */
function asCommonJs(snippet) {
  const body = transpile(snippet, ts.ModuleKind.CommonJS);
  return [
    "'use strict';",
    '(async () => {',
    body,
    '})().catch((err) => {',
    '  console.error(err);',
    '  process.exit(1);',
    '});',
    '',
  ].join('\n');
}

module.exports = { embeddingSnippet, mountPath, asEsModule, asCommonJs };
