/**
 * A throwaway PostgreSQL server for tests and benchmarks: `initdb` in a new
 * temporary directory, `postgres` listening only on a Unix socket inside
 * it (no port to collide with anything), stopped and deleted by `close()`.
 *
 * PostgreSQL refuses to run as root, and CI runs as root: then the
 * directory is handed to an unprivileged user (`postgres` when the Debian
 * package created it, else `nobody`) and the server binaries run as that
 * user through `setpriv`. With `DAVSYNC_TEST_PG_URL` set, no server is
 * started and that one is used instead.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/** A PostgreSQL server to create test databases on. */
export interface TestPostgres {
  /** Connection string of the `postgres` maintenance database. */
  readonly adminUrl: string;
  /** True when this process started the server (and `close` stops it). */
  readonly throwaway: boolean;
  /** Connection string of `database` on this server. */
  url(database: string): string;
  /** Creates a new, empty database with a unique name and returns its connection string. */
  createDatabase(prefix?: string): Promise<string>;
  /** Drops a database made by `createDatabase`, ending its other connections first. */
  dropDatabase(url: string): Promise<void>;
  /** Drops every database still left, then stops and deletes a throwaway server. Idempotent. */
  close(): Promise<void>;
}

export interface TestPostgresOptions {
  /**
   * Use this server instead of starting one (default: `DAVSYNC_TEST_PG_URL`).
   * Its user must be allowed to create databases.
   */
  readonly url?: string;
  /**
   * Sync WAL to disk as a real server does. Default false: a throwaway
   * cluster trades durability for speed (`fsync = off`).
   */
  readonly durable?: boolean;
  /** Extra `postgres -c` settings, e.g. `{ max_connections: '300' }`. */
  readonly settings?: Readonly<Record<string, string>>;
}

const INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) were not found. Install the Debian package `postgresql` ' +
  '(.ci/run does; locally: apt-get install postgresql), put its bin directory on PATH or in DAVSYNC_PG_BINDIR, ' +
  'or set DAVSYNC_TEST_PG_URL to a server the tests may create databases on.';

let counter = 0;

/**
 * Starts a throwaway server (or connects to `DAVSYNC_TEST_PG_URL`).
 *
 * @example
 * const pg = await startTestPostgres();
 * const url = await pg.createDatabase();
 * // ... openPostgresStore({ connectionString: url }) ...
 * await pg.close();
 */
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const given = options.url ?? process.env['DAVSYNC_TEST_PG_URL'];
  if (given !== undefined && given !== '') return new Server(given, undefined);
  return new Server(undefined, await startCluster(options));
}

interface Cluster {
  readonly dir: string;
  readonly stop: () => void;
}

class Server implements TestPostgres {
  readonly adminUrl: string;
  readonly throwaway: boolean;
  readonly #cluster: Cluster | undefined;
  readonly #databases = new Set<string>();
  readonly #base: URL;
  #closed = false;

  constructor(url: string | undefined, cluster: Cluster | undefined) {
    this.#cluster = cluster;
    this.throwaway = cluster !== undefined;
    this.#base =
      cluster === undefined
        ? new URL(url as string)
        : new URL(`postgresql://davsync@localhost/postgres?host=${encodeURIComponent(cluster.dir)}`);
    this.adminUrl = this.url(cluster === undefined ? this.#base.pathname.slice(1) || 'postgres' : 'postgres');
  }

  url(database: string): string {
    const u = new URL(this.#base.href);
    u.pathname = `/${database}`;
    return u.href;
  }

  async createDatabase(prefix = 'davsync_test'): Promise<string> {
    const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
    await this.#admin(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`);
    this.#databases.add(name);
    return this.url(name);
  }

  async dropDatabase(url: string): Promise<void> {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    if (!this.#databases.delete(name)) return;
    await this.#admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#cluster === undefined) for (const name of [...this.#databases]) await this.dropDatabase(this.url(name));
    } finally {
      this.#cluster?.stop();
    }
  }

  async #admin(sql: string): Promise<void> {
    const client = new Client({ connectionString: this.adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

/** The directory holding initdb, pg_ctl and postgres, or undefined. */
export function findPostgresBinaries(): string | undefined {
  const has = (dir: string): boolean => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
  const candidates: string[] = [];
  if (process.env['DAVSYNC_PG_BINDIR']) candidates.push(process.env['DAVSYNC_PG_BINDIR']);
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (config.status === 0) candidates.push(config.stdout.trim());
  // Debian keeps the server binaries out of PATH, one directory per major version.
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  candidates.push('/usr/local/pgsql/bin', ...(process.env['PATH'] ?? '').split(':').filter((d) => d !== ''));
  return candidates.find(has);
}

/** uid and gid of a local user, from /etc/passwd. */
function userIds(name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined && f[3] !== undefined) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

async function startCluster(options: TestPostgresOptions): Promise<Cluster> {
  const bin = findPostgresBinaries();
  if (bin === undefined) throw new Error(`davsync: ${INSTALL_HINT}`);
  // Short: the socket path (dir + /.s.PGSQL.5432) must fit in 107 bytes.
  const dir = mkdtempSync(join(tmpdir().length > 40 ? '/tmp' : tmpdir(), 'davsync-pg-'));
  const data = join(dir, 'data');
  // As root, everything runs as an unprivileged user who owns the directory.
  let prefix: string[] = [];
  if (process.getuid?.() === 0) {
    const user = userIds('postgres') ?? userIds('nobody');
    if (user === undefined) throw new Error('davsync: running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as');
    chownSync(dir, user.uid, user.gid);
    prefix = ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--'];
  }
  const exec = async (file: string, args: string[]): Promise<void> => {
    const argv = [...prefix, join(bin, file), ...args];
    try {
      await run(argv[0] as string, argv.slice(1), { timeout: 60_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`davsync: ${file} failed: ${e.stderr?.trim() || e.message}`);
    }
  };
  const settings: Record<string, string> = {
    listen_addresses: "''",
    unix_socket_directories: `'${dir}'`,
    max_connections: '200',
    ...(options.durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
    ...options.settings,
  };
  let started = false;
  const stop = (): void => {
    if (started) {
      started = false;
      const argv = [...prefix, join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'];
      spawnSync(argv[0] as string, argv.slice(1), { stdio: 'ignore', timeout: 30_000 });
    }
    rmSync(dir, { recursive: true, force: true });
    process.off('exit', stop);
  };
  // If the test process dies without closing, the server must not outlive it.
  process.on('exit', stop);
  try {
    await exec('initdb', ['-D', data, '-U', 'davsync', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
    const opts = Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`).join(' ');
    started = true;
    await exec('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', opts, 'start']);
  } catch (err) {
    stop();
    throw err;
  }
  return { dir, stop };
}
