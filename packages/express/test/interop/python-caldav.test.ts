/**
 * Debian's python3-caldav (0.11, a client no one here wrote) syncing a
 * collection of iCalendar objects with `objects_by_sync_token`: an initial
 * sync, then exactly the delta after adds, changes and deletes, each changed
 * object fetched back with GET by caldav itself.
 *
 * caldav 0.11 sends its sync-collection REPORT with `Depth: 1` (which the
 * middleware tolerates unless `strictSyncDepth`), and needs nothing
 * calendar-specific for it: `client.calendar(url=…)` makes no request, and
 * the report asks only for `DAV:getetag`, so a plain MKCOL collection will
 * do. It cannot follow a truncated (507) sync, so no page size here.
 *
 * Needs `/usr/bin/python3` with caldav (Debian package python3-caldav,
 * installed by .ci/run) — not a pyenv python3 on PATH. Without it the
 * tests are skipped, except under CI, where they fail.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../support/server';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, 'python', 'caldav_sync.py');
const inCI = Boolean(process.env['CI']);

/** A clean environment for the system python: no pyenv/virtualenv paths, no proxy for loopback. */
function pythonEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' };
  for (const name of ['PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONUSERBASE', 'VIRTUAL_ENV']) delete env[name];
  return env;
}

/** Why caldav cannot be used, or undefined when it can. */
function caldavMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import caldav'], { env: pythonEnv(), timeout: 30_000, encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot run: ${probe.error.message}`;
  if (probe.status !== 0) return `${PYTHON} has no caldav module: ${probe.stderr.trim().split('\n').pop() ?? ''}`;
  return undefined;
}

interface SyncObject {
  path: string;
  etag: string | null;
  deleted?: boolean;
  uid?: string;
  getEtag?: string | null;
}
interface SyncResult {
  token: string;
  objects: SyncObject[];
}

/** Runs the caldav script; rejects with its stderr when it fails. */
function runCaldav(url: string, token?: string): Promise<SyncResult> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [SCRIPT, url, ...(token === undefined ? [] : [token])],
      { env: pythonEnv(), timeout: 60_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`caldav_sync.py failed (${err.code ?? err.signal ?? err.message}):\n${stderr}\n${stdout}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as SyncResult);
        } catch {
          reject(new Error(`caldav_sync.py printed no JSON:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

const ics = (uid: string, summary: string): string =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//davsync//interop test//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20240101T000000Z',
    'DTSTART:20240102T100000Z',
    'DTEND:20240102T110000Z',
    `SUMMARY:${summary}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');

async function putEvent(collectionUrl: string, name: string, uid: string, summary: string): Promise<string> {
  const res = await fetch(collectionUrl + encodeURIComponent(name), {
    method: 'PUT',
    headers: { 'content-type': 'text/calendar; charset=utf-8' },
    body: ics(uid, summary),
  });
  expect([201, 204]).toContain(res.status);
  return res.headers.get('etag') as string;
}

const missing = caldavMissing();

if (missing !== undefined && !inCI) {
  describe('python3-caldav (skipped)', () => {
    it.skip(`skipped: ${missing} (apt-get install python3-caldav; CI installs it)`, () => undefined);
  });
} else {
  describe('python3-caldav objects_by_sync_token', () => {
    let server: TestServer;
    const path = '/dav/calendar/';
    let url: string;

    beforeAll(async () => {
      server = await startServer({ mount: '/dav' });
      url = server.origin + path;
      expect((await fetch(url, { method: 'MKCOL' })).status).toBe(201);
    });
    afterAll(async () => {
      await server.close();
    });

    it('has caldav for /usr/bin/python3 (CI must install python3-caldav)', () => {
      expect(missing ?? 'available').toBe('available');
    });

    it('syncs everything, then exactly the delta after adds, changes and deletes', async () => {
      const etags: Record<string, string> = {};
      for (const [name, uid] of [
        ['standup.ics', 'standup@example.com'],
        ['review.ics', 'review@example.com'],
        ['café meeting.ics', 'cafe@example.com'],
        ['retro.ics', 'retro@example.com'],
      ] as const) {
        etags[path + name] = await putEvent(url, name, uid, name);
      }

      const initial = await runCaldav(url);
      expect(typeof initial.token).toBe('string');
      expect(initial.token.length).toBeGreaterThan(0);
      expect(Object.fromEntries(initial.objects.map((o) => [o.path, o.etag]))).toEqual(etags);
      expect(initial.objects).toHaveLength(4);

      // One added, two changed, one removed; standup.ics untouched.
      const planningEtag = await putEvent(url, 'planning.ics', 'planning@example.com', 'Planning');
      const reviewEtag = await putEvent(url, 'review.ics', 'review@example.com', 'Review (moved)');
      const cafeEtag = await putEvent(url, 'café meeting.ics', 'cafe@example.com', 'Coffee, later');
      expect((await fetch(`${url}retro.ics`, { method: 'DELETE' })).status).toBe(204);

      const delta = await runCaldav(url, initial.token);
      const byPath = Object.fromEntries(delta.objects.map((o) => [o.path, o]));
      expect(delta.objects).toHaveLength(4);
      expect(byPath).toEqual({
        [`${path}planning.ics`]: { path: `${path}planning.ics`, etag: planningEtag, deleted: false, uid: 'planning@example.com', getEtag: planningEtag },
        [`${path}review.ics`]: { path: `${path}review.ics`, etag: reviewEtag, deleted: false, uid: 'review@example.com', getEtag: reviewEtag },
        [`${path}café meeting.ics`]: { path: `${path}café meeting.ics`, etag: cafeEtag, deleted: false, uid: 'cafe@example.com', getEtag: cafeEtag },
        [`${path}retro.ics`]: { path: `${path}retro.ics`, etag: null, deleted: true },
      });
      expect(delta.token).not.toBe(initial.token);

      // Nothing since: an empty delta and the same token.
      const nothing = await runCaldav(url, delta.token);
      expect(nothing).toEqual({ token: delta.token, objects: [] });
    }, 120_000);

    it('is refused with strictSyncDepth, because caldav sends Depth: 1 with sync-level', async () => {
      const strict = await startServer({ mount: '/dav', strictSyncDepth: true });
      try {
        expect((await fetch(`${strict.origin}/dav/cal/`, { method: 'MKCOL' })).status).toBe(201);
        await expect(runCaldav(`${strict.origin}/dav/cal/`)).rejects.toThrow(/ReportError at '400 Bad Request/);
      } finally {
        await strict.close();
      }
    }, 60_000);
  });
}
