/**
 * Keeps the peer benchmark (bench/peers/run.js, issue #8) from rotting: runs
 * it at N = 100 against every peer and checks that each answer was correct
 * and that the tables came out. Timings are not asserted.
 *
 * Needs the Debian packages radicale and xandikos (CI installs them); the npm
 * peers are installed by the benchmark itself into bench/peers/.peers/. Runs
 * the built CLI (`npm test` builds first).
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './support';

const RUN = join(__dirname, '..', '..', '..', 'bench', 'peers', 'run.js');
const LIMIT_MS = 100_000;

interface Workload {
  readonly error?: string;
  readonly median?: number;
}
interface Result {
  readonly server: string;
  readonly n: number;
  readonly errors: string[];
  readonly workloads: Record<string, Workload>;
}

async function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = runCommand(process.execPath, [RUN, ...args]);
  // The benchmark kills its own servers on SIGTERM (cleanup's SIGKILL would leave them running).
  const exit = await p.waitExit(LIMIT_MS).catch(async () => {
    p.child.kill('SIGTERM');
    return p.exited;
  });
  return { code: exit.code, stdout: p.stdout(), stderr: p.stderr() };
}

describe('bench/peers (N = 100 smoke run)', () => {
  it(
    'runs every peer, every answer correct, and prints the tables',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'davsync-peers-smoke-'));
      try {
        const json = join(dir, 'results.json');
        const r = await runBench(['--n', '100', '--json', json]);
        // A missing radicale or xandikos fails here, with the install command in stderr.
        expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr + r.stdout }).toEqual({ code: 0, stderr: '' });
        expect(r.stdout).toContain('| N | server | initial sync | delta k=10 | up-to-date k=0 | PROPFIND Depth 1 |');
        expect(r.stdout).toContain('all correct');

        const { results, failures } = JSON.parse(await readFile(json, 'utf8')) as { results: Result[]; failures: string[] };
        expect(failures).toEqual([]);
        expect(results.map((x) => x.server).sort()).toEqual(['davsync', 'nephele', 'radicale', 'webdav-server', 'xandikos']);
        for (const x of results) {
          expect({ server: x.server, errors: x.errors }).toEqual({ server: x.server, errors: [] });
          const expected = ['davsync', 'radicale', 'xandikos'].includes(x.server) ? ['delta', 'initial', 'propfind', 'upToDate'] : ['propfind'];
          expect(Object.keys(x.workloads).sort()).toEqual(expected);
          for (const w of Object.values(x.workloads)) expect(w.error).toBeUndefined();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    LIMIT_MS + 20_000,
  );
});
