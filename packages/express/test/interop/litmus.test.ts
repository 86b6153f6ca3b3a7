/**
 * The litmus WebDAV compliance suite (a client no one here wrote) against
 * davsync on the memory adapter (the fs store when `DAVSYNC_TEST_STORE=fs`,
 * the PostgreSQL store when `DAVSYNC_TEST_STORE=postgres`; `npm test` runs
 * all three, so CI proves every store, locks included):
 * the class 1 suites `basic`, `copymove`, `props` and `http` and the class
 * 2 suite `locks` must all run, none may fail and litmus may not warn. Run
 * once with the middleware mounted at `/dav` and once at the root.
 *
 * Needs `/usr/bin/litmus` (Debian package `litmus`, installed by .ci/run).
 * Without it the suite runs are skipped, except under CI, where they fail.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ALL_SUITES, LITMUS, litmusInstalled, parseLitmusOutput, runLitmus, type LitmusResult } from '../support/litmus';
import { startServer, type TestServer } from '../support/server';

const installed = litmusInstalled();
const inCI = Boolean(process.env['CI']);

/** Everything worth reading when litmus is not all green. */
function explain(r: LitmusResult): string {
  return [
    `litmus exit code ${r.exitCode}`,
    'FAIL lines:',
    ...r.failures.map((l) => `  ${l}`),
    'warnings:',
    ...r.warnings.map((l) => `  ${l}`),
    'summaries:',
    ...r.suites.map((s) => `  ${s.suite}: ${s.run} run, ${s.passed} passed, ${s.failed} failed`),
    '--- litmus output ---',
    r.output,
    '--- debug.log tail ---',
    r.debugTail,
  ].join('\n');
}

/** Asserts every suite in `suites` ran and nothing failed; the message carries the FAIL lines. */
function expectAllPassed(r: LitmusResult, suites: readonly string[]): void {
  const ran = r.suites.map((s) => s.suite);
  const failed = r.suites.filter((s) => s.failed > 0 || s.passed !== s.run || s.run === 0);
  // A warning is a deviation litmus tolerates but we do not.
  const warnings = r.warnings;
  const ok = ran.join() === suites.join() && failed.length === 0 && r.failures.length === 0 && warnings.length === 0 && r.exitCode === 0;
  // Compared as one object so a failure prints the FAIL lines and the log.
  expect({ ran, failed, failures: r.failures, warnings, exitCode: r.exitCode, details: ok ? '' : explain(r) }).toEqual({
    ran: [...suites],
    failed: [],
    failures: [],
    warnings: [],
    exitCode: 0,
    details: '',
  });
}

describe('parseLitmusOutput', () => {
  it('reads summaries, FAIL lines (with their reasons) and warnings', () => {
    const out = [
      "-> running `basic':",
      ' 0. init.................. \r 0. init.................. pass',
      ' 2. options............... WARNING: server does not claim Class 2 compliance',
      '    ...................... pass (with 1 warning)',
      ' 3. copy_simple........... \r 3. copy_simple........... FAIL (simple resource COPY:',
      '500 Internal Server Error)',
      ' 4. put_no_parent......... \r 4. put_no_parent......... FAIL (PUT with no parent collection got 500)',
      "<- summary for `basic': of 16 tests run: 14 passed, 2 failed. 87.5%",
      "-> running 'http':",
      "<- summary for 'http': of 4 tests run: 4 passed, 0 failed. 100.0%",
    ].join('\n');
    const r = parseLitmusOutput(out);
    expect(r.suites).toEqual([
      { suite: 'basic', run: 16, passed: 14, failed: 2 },
      { suite: 'http', run: 4, passed: 4, failed: 0 },
    ]);
    expect(r.failures).toEqual([
      '3. copy_simple........... FAIL (simple resource COPY: 500 Internal Server Error)',
      '4. put_no_parent......... FAIL (PUT with no parent collection got 500)',
    ]);
    expect(r.warnings).toHaveLength(1);
  });
});

if (!installed && !inCI) {
  describe('litmus (skipped)', () => {
    it.skip(`skipped: ${LITMUS} is not installed (apt-get install litmus; CI installs it)`, () => undefined);
  });
} else {
  describe.each([
    ['mounted at /dav', '/dav'],
    ['mounted at the root', ''],
  ])('litmus WebDAV compliance suite, %s', (_label, mount) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startServer({ mount });
      const res = await fetch(`${server.url}/litmus/`, { method: 'MKCOL' });
      expect(res.status).toBe(201);
    });
    afterAll(async () => {
      await server.close();
    });

    it('passes every test of basic, copymove, props, http and locks', async () => {
      if (!installed) throw new Error(`${LITMUS} is missing: .ci/run must apt-get install litmus`);
      const result = await runLitmus(`${server.url}/litmus/`, ALL_SUITES);
      expectAllPassed(result, ALL_SUITES);
    }, 180_000);
  });
}
