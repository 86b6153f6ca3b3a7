#!/usr/bin/env node
// The release tarball test (`npm run test:pack`): build, `npm pack` every
// publishable package, install the tarballs into a fresh project outside the
// repository, and use them there as a user would: check each tarball's
// files, load every entry point with require() and import, type-check a
// consumer of both kinds, run the conformance kit under jest, run the
// README's embedding snippet as an ES module and as CommonJS, and run the
// installed `davsync` command. Exits non-zero if anything fails; removes
// its temporary folder (DAVSYNC_PACK_TEST_KEEP=1 keeps it, for a look after
// a failure).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { publishablePackages, entryPoints } = require('./workspaces');
const { tarballProblems } = require('./tarball-contents');
const { embeddingSnippet, mountPath, asEsModule, asCommonJs } = require('./readme-snippet');
const { writeConsumerTypes } = require('./consumer-types');
const { syncExchange } = require('./dav-check');
const { run, startServer, stopAll } = require('./processes');

const ROOT = path.resolve(__dirname, '..', '..');
const TSC = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
const MINUTE = 60_000;

// `npm run` exports its own project's settings; a child npm run in the
// temporary project must not inherit them (npm_config_local_prefix would
// make it install into this repository).
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) =>
      !/^npm_(package_|lifecycle_|command$|config_local_prefix$|config_call$|config_allow_scripts$)/.test(k) &&
      k !== 'INIT_CWD',
  ),
);

const results = [];
async function step(name, fn, { fatal = false } = {}) {
  const started = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true, ms: Date.now() - started, detail });
    return true;
  } catch (err) {
    results.push({ name, ok: false, ms: Date.now() - started, detail: err instanceof Error ? err.message : String(err) });
    if (fatal) throw new StopError();
    return false;
  }
}
class StopError extends Error {}

function printSummary(totalMs) {
  console.log('\npack test summary');
  for (const r of results) {
    const lines = String(r.detail ?? '').split('\n');
    console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${(r.ms / 1000).toFixed(1)} s)${lines[0] ? `: ${lines[0]}` : ''}`);
    for (const line of lines.slice(1)) console.log(`       ${line}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${failed === 0 ? 'all passed' : `${failed} failed`} in ${(totalMs / 1000).toFixed(1)} s`);
}

async function main() {
  const started = Date.now();
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-pack-'));
  const tarballs = path.join(temp, 'tarballs');
  const project = path.join(temp, 'project');
  fs.mkdirSync(tarballs);
  fs.mkdirSync(project);
  const cleanup = () => {
    if (process.env.DAVSYNC_PACK_TEST_KEEP === '1') console.log(`kept ${temp}`);
    else fs.rmSync(temp, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      stopAll();
      cleanup();
      process.exit(130);
    });
  }

  const packages = publishablePackages(ROOT);
  const packed = new Map(); // name → { file, files, size, unpackedSize }
  try {
    await step('build (tsc -b)', () => run(process.execPath, [TSC, '-b'], { cwd: ROOT, timeoutMs: 10 * MINUTE }).then(() => ''), { fatal: true });

    await step(
      `npm pack ${packages.length} packages`,
      async () => {
        if (packages.length === 0) throw new Error('no publishable workspace found in package.json');
        for (const pkg of packages) {
          const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: pkg.dir, env: childEnv, timeoutMs: 2 * MINUTE });
          const [info] = JSON.parse(stdout.slice(stdout.indexOf('[')));
          packed.set(pkg.name, { file: path.join(tarballs, info.filename), files: info.files.map((f) => f.path), size: info.size, unpackedSize: info.unpackedSize });
        }
        return packages
          .map((p) => `${p.name}@${p.version} ${(packed.get(p.name).size / 1024).toFixed(0)} KiB (${packed.get(p.name).files.length} files)`)
          .join(', ');
      },
      { fatal: true },
    );

    await step(
      'install the tarballs into a fresh project',
      async () => {
        const rootManifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
        const expressManifest = packages.find((p) => p.name === '@davsync/express')?.manifest;
        const dependencies = Object.fromEntries(packages.map((p) => [p.name, `file:${packed.get(p.name).file}`]));
        // What the README's snippet imports besides davsync, and the types
        // the consumer check needs: the versions this repository tests with.
        dependencies.express = expressManifest?.devDependencies?.express ?? '5.3.0';
        dependencies['@types/node'] = rootManifest.devDependencies['@types/node'];
        // The conformance kit's optional peers, as an adapter author installs them.
        for (const peer of ['jest', 'fast-check']) dependencies[peer] = rootManifest.devDependencies[peer];
        const manifest = {
          name: 'davsync-pack-test-project',
          version: '0.0.0',
          private: true,
          dependencies,
          // npm 11 runs no install script unless allowed; better-sqlite3
          // (under @davsync/adapter-fs) builds its native module in one.
          allowScripts: rootManifest.allowScripts ?? { 'better-sqlite3': true },
        };
        fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
        await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: project, env: childEnv, timeoutMs: 15 * MINUTE });
        return project.startsWith(ROOT) ? 'inside the repository!' : `in ${project}`;
      },
      { fatal: true },
    );

    await step('tarball contents (README, LICENSE, .d.ts, maps resolve, no tests)', () => {
      const problems = [];
      for (const pkg of packages) {
        const installed = path.join(project, 'node_modules', ...pkg.name.split('/'));
        for (const p of tarballProblems(pkg.manifest, packed.get(pkg.name).files, installed)) problems.push(`${pkg.name}: ${p}`);
      }
      if (problems.length > 0) throw new Error(`${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.slice(0, 30).join('\n')}`);
      return '';
    });

    let names = null;
    const specs = packages.flatMap(entryPoints);
    await step(`require() and import of ${specs.length} entry points give the same names`, async () => {
      fs.copyFileSync(path.join(__dirname, 'export-names.mjs'), path.join(project, 'export-names.mjs'));
      const { stdout } = await run(
        process.execPath,
        ['--require', path.join(__dirname, 'stub-test-peers.cjs'), 'export-names.mjs', ...specs],
        { cwd: project, env: childEnv, timeoutMs: MINUTE },
      );
      const found = JSON.parse(stdout);
      const missing = Object.entries(found).filter(([, r]) => r.missingInImport.length > 0 || r.names.length === 0);
      if (missing.length > 0) {
        throw new Error(missing.map(([spec, r]) => `${spec}: import lacks ${r.missingInImport.join(', ') || 'everything (no exports)'}`).join('\n'));
      }
      names = Object.fromEntries(Object.entries(found).map(([spec, r]) => [spec, r.names]));
      return Object.entries(names).map(([spec, list]) => `${spec} ${list.length}`).join(', ');
    });

    if (names) {
      await step('TypeScript consumer (.mts and .cts) resolves every export', async () => {
        const tsconfig = writeConsumerTypes(project, names);
        await run(process.execPath, [TSC, '-p', tsconfig], { cwd: project, env: childEnv, timeoutMs: 3 * MINUTE });
        return '';
      });
    }

    if (specs.includes('@davsync/core/testing')) {
      await step('conformance kit (@davsync/core/testing) under jest, over the memory adapter', async () => {
        const dir = path.join(project, 'kit');
        fs.mkdirSync(dir);
        fs.writeFileSync(
          path.join(dir, 'memory.test.js'),
          [
            "const { defineAdapterSuite } = require('@davsync/core/testing');",
            "const { MemoryAdapter } = require('@davsync/adapter-memory');",
            "defineAdapterSuite({ name: 'memory', create: () => new MemoryAdapter() });",
            '',
          ].join('\n'),
        );
        // Fewer random model runs than the repository's own suite: this checks
        // that the kit loads and runs from the tarballs, not the adapter.
        const env = { ...childEnv, DAVSYNC_MODEL_RUNS: '50' };
        const { stdout, stderr } = await run('npx', ['--no-install', 'jest', '--ci', '--rootDir', dir], { cwd: project, env, timeoutMs: 5 * MINUTE });
        const summary = /^Tests:.*$/m.exec(stderr + stdout);
        return summary ? summary[0].replace(/\s+/g, ' ') : '';
      });
    }

    for (const [kind, file, convert] of [
      ['ES module', 'server.mjs', asEsModule],
      ['CommonJS', 'server.cjs', asCommonJs],
    ]) {
      await step(`README "Embedding" snippet as ${kind}: PUT, sync REPORT, delta`, async () => {
        const snippet = embeddingSnippet(path.join(ROOT, 'README.md'));
        const mount = mountPath(snippet).replace(/\/?$/, '/');
        const source = convert(snippet);
        const dir = path.join(project, `snippet-${path.extname(file).slice(1)}`);
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, file), source);
        const server = await startServer(
          process.execPath,
          ['--require', path.join(__dirname, 'listen-on-loopback.cjs'), file],
          { cwd: dir, env: childEnv, ready: /^PACK_TEST_LISTENING (.*)$/, timeoutMs: MINUTE },
        );
        try {
          const { port, address, requested } = JSON.parse(server.match[1]);
          const host = address.includes(':') ? `[${address}]` : address;
          await syncExchange(`http://${host}:${port}${mount}`);
          return `asked for port ${requested.port} on ${requested.host ?? 'all interfaces'}; ran on ${address}:${port}${mount}`;
        } catch (err) {
          throw new Error(`${err.message}\n${server.output().trimEnd()}`);
        } finally {
          await server.stop();
        }
      });
    }

    await step('installed davsync command: --version, serve --port 0, changes', async () => {
      const cliPkg = packages.find((p) => p.manifest.bin && Object.keys(p.manifest.bin).includes('davsync'));
      if (!cliPkg) throw new Error('no package has a davsync bin');
      const { stdout: version } = await run('npx', ['--no-install', 'davsync', '--version'], { cwd: project, env: childEnv, timeoutMs: MINUTE });
      if (version.trim() !== `davsync ${cliPkg.version}`) throw new Error(`--version printed ${JSON.stringify(version)}`);
      const server = await startServer('npx', ['--no-install', 'davsync', 'serve', 'served', '--port', '0'], {
        cwd: project,
        env: childEnv,
        ready: /^davsync listening on (http:\/\/\S+\/)/,
        timeoutMs: MINUTE,
      });
      try {
        const url = server.match[1];
        const { token } = await syncExchange(url);
        const { stdout: changes } = await run('npx', ['--no-install', 'davsync', 'changes', url], { cwd: project, env: childEnv, timeoutMs: MINUTE });
        if (!/changed\s+\/notes\.txt/.test(changes) || !changes.includes(`sync-token: ${token}`)) {
          throw new Error(`davsync changes printed:\n${changes}`);
        }
      } finally {
        const { code, signal } = await server.stop();
        if (code !== 0 && signal !== 'SIGTERM') throw new Error(`serve ended with ${code ?? signal} on SIGTERM\n${server.output()}`);
      }
      if (!fs.existsSync(path.join(project, 'served', 'notes.txt'))) throw new Error('served/notes.txt was not written');
      return `${version.trim()}, ${server.match[1]}`;
    });
  } catch (err) {
    if (!(err instanceof StopError)) results.push({ name: 'pack test', ok: false, ms: 0, detail: err.stack ?? String(err) });
  } finally {
    cleanup();
  }
  printSummary(Date.now() - started);
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then((code) => {
  process.exitCode = code;
});
