/**
 * `serve(options)`: what `davsync serve` runs, as a function for tests and
 * for embedding — a store (a folder, memory, or a PostgreSQL database), the davsync handler on bare
 * `node:http`, optional Basic authentication, the request log, and a
 * graceful `close()`.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DavError, type ChangeSource, type PushRegistrationStore, type SyncEngine } from '@davsync/core';
import { davsync, type DavsyncOptions } from '@davsync/express';
import { loadVapidKeys } from './push-keys';
import { createBasicAuth, type Credentials } from './basic-auth';
import { CliError, describeErrno, oneLine } from './errors';
import { createLogger, type Logger, type LogLevel } from './log';
import { authority, exposedWithoutAuth, httpUrl } from './network';
import { logRequest } from './request-log';

export interface ServeOptions {
  /** The folder to serve; created if missing. Default `./data`. Not used with `memory`. */
  readonly dir?: string;
  /** Serve an in-memory store (gone when the process ends) instead of a folder. */
  readonly memory?: boolean;
  /**
   * Serve the store in this PostgreSQL database (`postgresql://…` connection
   * string) instead of a folder; several servers may share it.
   */
  readonly postgres?: string;
  /** TCP port; 0 lets the OS choose (read it from the result). Default 8080. */
  readonly port?: number;
  /** Address to bind. Default `127.0.0.1`: only this machine can connect. */
  readonly host?: string;
  /** Server page size for sync-collection. Default: no limit. */
  readonly pageSize?: number;
  /** Most tombstones (removal records) kept; older tokens then need a full sync. Default 100 000. */
  readonly retention?: number;
  /** With `memory` or `postgres`: the most bytes of file content stored (RFC 4331 quota). Default: no limit. */
  readonly quotaBytes?: number;
  /** Hash uploads for `oc:checksums` (the engine's `checksums`): all three by default, some, or none. */
  readonly checksums?: boolean | { readonly algorithms: readonly ('sha1' | 'md5' | 'sha256')[] };
  /** gzip answers when clients ask for it (the middleware's `compression`). Default true. */
  readonly compression?: boolean;
  /** tus 1.0 at `/.tus/` besides the IETF resumable uploads (the middleware's `uploads.tus`). Default false. */
  readonly tus?: boolean;
  /** Require HTTP Basic authentication with these credentials. */
  readonly credentials?: Credentials;
  /**
   * WebDAV-Push and the server-sent change stream (docs/push.md). VAPID keys
   * come from the environment, else the folder's state directory, else are
   * made for this run (`push-keys.ts`).
   */
  readonly push?: {
    /** Accept plain-http push resources on 127.0.0.1 (tests with a local push service). */
    readonly allowHttpLoopback?: boolean;
    /** The VAPID contact (`mailto:` or `https:`). Default `mailto:davsync@localhost`. */
    readonly subject?: string;
  };
  /** Log level of the default logger. Default `info`. */
  readonly logLevel?: LogLevel;
  /** Where log lines go. Default: `createLogger(logLevel)` (info to stdout, warnings to stderr). */
  readonly logger?: Logger;
  /** How long `close()` lets requests in flight finish before cutting them, in ms. Default 10 000. */
  readonly graceMs?: number;
  /**
   * Gives up starting: a folder's start-up (its reconcile included) stops
   * promptly, what was opened is closed, and `serve` rejects with the
   * signal's reason (an `AbortError` by default). No effect once it resolved.
   */
  readonly signal?: AbortSignal;
}

export interface RunningServer {
  /** `http://HOST:PORT/`, with the actual port; the root collection. */
  readonly url: string;
  readonly port: number;
  /** The address actually bound (`127.0.0.1`, `::`, …). */
  readonly address: string;
  /** What is served: `fs: <dir as given>`, `memory` or `postgres: <URL without password>`. */
  readonly store: string;
  /** The node:http server (for its events; do not close it directly, use `close()`). */
  readonly server: Server;
  /**
   * Settles only if the store's start-up steps that run after listening (a
   * folder's reconcile against its journal) fail, with the error (a
   * one-line message). Requests get 503 from then on; close the server.
   */
  readonly failed: Promise<Error>;
  /**
   * Stops accepting connections, lets requests in flight finish (cut after
   * `graceMs`, default the server's), then closes the store — for a folder,
   * the journal is closed and the lock released. Safe to call again: a second
   * call with `{ graceMs: 0 }` cuts the remaining requests now.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** The one line `davsync serve` prints when ready. */
export function listeningLine(running: Pick<RunningServer, 'url' | 'store'>): string {
  return `davsync listening on ${running.url} (${running.store})`;
}

interface Store {
  readonly engine: SyncEngine;
  readonly label: string;
  /** A folder's state directory (where push keys are kept); none for memory and PostgreSQL. */
  readonly stateDir?: string;
  /** Where push registrations are kept durably (a folder's state database); else in memory. */
  readonly pushRegistrations?: PushRegistrationStore;
  /** Starts hearing other instances' changes (PostgreSQL LISTEN/NOTIFY), for the change stream. */
  readonly startChangeFeed?: () => Promise<ChangeSource & { close(): Promise<void> }>;
  /** Resolves once the engine may answer (a folder's start-up reconcile is recorded); requests wait for it. */
  readonly reconciled: Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a server; resolves once it accepts connections.
 *
 * @throws CliError with a one-line message for what a user can fix: the
 *   folder is a file or unreadable, or in use by another davsync; the port
 *   is taken; the address is not on this machine.
 * @example
 * const running = await serve({ dir: './data', port: 0, logLevel: 'warn' });
 * await fetch(running.url + 'notes.txt', { method: 'PUT', body: 'hi' });
 * await running.close();
 */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  const log = options.logger ?? createLogger(options.logLevel ?? 'info');
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  const defaultGraceMs = options.graceMs ?? 10_000;
  const store = await openStore(options, log);
  if (options.signal?.aborted) {
    await store.close();
    options.signal.throwIfAborted();
  }

  let push: Pick<DavsyncOptions, 'push' | 'changeStream'> = {};
  let feed: (ChangeSource & { close(): Promise<void> }) | undefined;
  if (options.push !== undefined) {
    let keys;
    try {
      keys = await loadVapidKeys(store.stateDir);
      feed = await store.startChangeFeed?.();
    } catch (err) {
      await store.close();
      throw err instanceof CliError ? err : new CliError(oneLine(err));
    }
    if (keys.source === 'generated for this run') {
      log.warn('davsync: push: VAPID keys generated for this run; clients must register again after a restart (set DAVSYNC_VAPID_PUBLIC_KEY and DAVSYNC_VAPID_PRIVATE_KEY to keep them)');
    }
    push = {
      push: {
        vapid: { publicKey: keys.publicKey, privateKey: keys.privateKey, subject: options.push.subject ?? 'mailto:davsync@localhost' },
        ...(options.push.allowHttpLoopback === true ? { allowHttpLoopback: true } : {}),
        ...(store.pushRegistrations === undefined ? {} : { store: store.pushRegistrations }),
      },
      changeStream: feed === undefined ? {} : { remoteChanges: feed },
    };
  }
  const dav = davsync({
    engine: store.engine,
    ...push,
    ...(options.compression === undefined ? {} : { compression: options.compression }),
    ...(options.tus === true ? { uploads: { tus: true } } : {}),
    // A store failure (unavailable, full) is one line; anything else is a
    // bug, and the stack is what a bug report needs.
    onError: (err) =>
      log.error(
        err instanceof DavError
          ? `davsync: store failure (${err.code}): ${err.message}`
          : `davsync: unexpected error (answered 500): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      ),
  });
  const auth = options.credentials === undefined ? undefined : createBasicAuth(options.credentials);
  let closing = false;
  // Until the store's start-up reconcile is recorded, requests wait (their
  // bodies stay buffered in the socket); if it fails they get a 503 and
  // `failed` lets the command say why and stop with exit 1.
  let reconciled = false;
  let failure: CliError | undefined;
  const failed = store.reconciled.then(
    () => {
      reconciled = true;
      return new Promise<Error>(() => {});
    },
    (err: unknown) => {
      failure = err instanceof CliError ? err : new CliError(oneLine(err));
      return failure;
    },
  );
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (failure !== undefined) {
      res.statusCode = 503;
      res.setHeader('connection', 'close');
      res.end();
      return;
    }
    dav(req, res);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    logRequest(log, req, res);
    if (closing) {
      // Node keeps a keep-alive connection open after its response even once
      // the server is closing; without this, close() would wait for the
      // client's keep-alive timeout. Responses started now say `close`…
      res.setHeader('connection', 'close');
    }
    res.once('close', () => {
      // …and a response that was in flight when closing began frees its
      // connection as soon as it is done.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    if (auth !== undefined && !auth.check(req.headers.authorization)) {
      auth.challenge(res);
      return;
    }
    if (reconciled) handle(req, res);
    else void store.reconciled.then(() => handle(req, res), () => handle(req, res));
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await dav.push?.close();
    await feed?.close();
    await store.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot listen on ${authority(host, port)}: ${describeErrno(code) ?? oneLine(err)}`);
  }
  // After start-up a server error (e.g. EMFILE on accept) is logged, not fatal.
  server.on('error', (err) => log.error(`davsync: server error: ${oneLine(err)}`));

  const bound = server.address() as AddressInfo;
  if (exposedWithoutAuth(bound.address, auth !== undefined)) {
    log.warn(
      `davsync: warning: listening on ${bound.address} without authentication — anyone who can reach this port can read and change ` +
        `every file; set --user NAME:PASSWORD (or DAVSYNC_USER and DAVSYNC_PASSWORD), or bind --host 127.0.0.1`,
    );
  }

  // Abandoned resumable uploads go after their idle expiry even when nobody
  // starts a new one (creations sweep too): an hourly sweep, which never
  // keeps the process alive.
  const sweeper = setInterval(() => {
    void dav.uploads?.sweep().catch((err: unknown) => log.warn(`davsync: sweeping idle uploads failed: ${oneLine(err)}`));
  }, 60 * 60 * 1000).unref();

  let closed: Promise<void> | undefined;
  const close = (opts: { graceMs?: number } = {}): Promise<void> => {
    const graceMs = opts.graceMs ?? defaultGraceMs;
    if (closed !== undefined) {
      if (graceMs <= 0) server.closeAllConnections();
      return closed;
    }
    closing = true;
    clearInterval(sweeper);
    // Open change streams would hold their connections until the grace period cuts them.
    dav.changeStreams?.close();
    closed = (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // The grace period is a bound, not a wait: it ends as soon as the last
      // request in flight is done.
      const cutTimer = setTimeout(() => server.closeAllConnections(), graceMs);
      await stopped;
      clearTimeout(cutTimer);
      await dav.push?.close();
      await feed?.close();
      await store.close();
    })();
    return closed;
  };

  return { url: httpUrl(host, bound.port), port: bound.port, address: bound.address, store: store.label, server, failed, close };
}

async function openStore(options: ServeOptions, log: Logger): Promise<Store> {
  const retention = options.retention === undefined ? undefined : { maxTombstones: options.retention };
  const engineOptions = {
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    ...(retention === undefined ? {} : { retention }),
    ...(options.checksums === undefined ? {} : { checksums: options.checksums }),
  };
  // Each store's package is loaded only when it is the one served: a folder
  // never loads the memory or PostgreSQL adapters (nor `pg`), and so on.
  if (options.memory) {
    const [{ SyncEngine }, { MemoryAdapter }] = await Promise.all([import('@davsync/core'), import('@davsync/adapter-memory')]);
    const quota = options.quotaBytes === undefined ? {} : { quotaBytes: options.quotaBytes };
    const engine = new SyncEngine({ adapter: new MemoryAdapter(quota), onWarning: (m) => log.warn(m), ...engineOptions });
    return { engine, label: 'memory', reconciled: Promise.resolve(), close: () => engine.close() };
  }
  if (options.postgres !== undefined) return openPostgres(options.postgres, engineOptions, options.quotaBytes, log);
  const dir = options.dir ?? './data';
  await checkDirectory(dir);
  const fs = await import('@davsync/adapter-fs');
  // The reconcile of the folder against the journal (changes made while it
  // was not served) costs a stat of every file: on a large folder, seconds.
  // It runs once the server listens, and every request waits for it (see
  // `serve`), so no answer is given from a journal that is behind.
  try {
    const store = await fs.openFsStore({
      root: dir,
      engine: engineOptions,
      onWarning: (m) => log.warn(m),
      reconcileInBackground: true,
      signal: options.signal,
    });
    const reconciled = store.reconciled.catch((err: unknown) => {
      throw new CliError(`cannot serve ${dir}: ${oneLine(err)}`);
    });
    return { engine: store.engine, label: `fs: ${dir}`, stateDir: store.adapter.stateDir, pushRegistrations: store.pushRegistrations, reconciled, close: () => store.close() };
  } catch (err) {
    if (options.signal?.aborted && err === options.signal.reason) throw err;
    // The store names the folder by its full path; the user typed `dir`.
    throw new CliError(`cannot serve ${dir}: ${err instanceof fs.UnusableDirectoryError ? err.reason : oneLine(err)}`);
  }
}

/** A PostgreSQL store (the adapter and the `pg` driver are loaded only here). */
async function openPostgres(
  url: string,
  engine: { pageSize?: number; retention?: { maxTombstones: number }; checksums?: ServeOptions['checksums'] },
  quotaBytes: number | undefined,
  log: Logger,
): Promise<Store> {
  const label = `postgres: ${redactPassword(url)}`;
  try {
    const { openPostgresStore, PostgresChangeFeed } = await import('@davsync/adapter-postgres');
    const store = await openPostgresStore({
      connectionString: url,
      engine,
      onWarning: (m) => log.warn(m),
      ...(quotaBytes === undefined ? {} : { quotaBytes }),
    });
    const startChangeFeed = async () => {
      const feed = new PostgresChangeFeed({ pool: store.pool, connection: { connectionString: url }, local: store.engine.log, onWarning: (m) => log.warn(m) });
      await feed.start();
      return feed;
    };
    return { engine: store.engine, label, pushRegistrations: store.pushRegistrations, startChangeFeed, reconciled: Promise.resolve(), close: () => store.close() };
  } catch (err) {
    throw new CliError(`cannot serve ${label}: ${oneLine(err)}`);
  }
}

/** The connection string with its password replaced, for logs and the ready line. */
export function redactPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.href;
  } catch {
    return '(a connection string that is not a URL)';
  }
}

/**
 * Refuses a folder that cannot be served, with a message naming it, before
 * the store is opened: the store's own errors would name its state
 * directory or database rather than the folder the user typed.
 */
async function checkDirectory(dir: string): Promise<void> {
  let info;
  try {
    info = await stat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // created by the store
    throw new CliError(`cannot serve ${dir}: ${describeErrno(code) ?? oneLine(err)}`);
  }
  if (!info.isDirectory()) throw new CliError(`cannot serve ${dir}: not a directory`);
  try {
    // Read to list it, write to store into it, search (x) to reach its members.
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new CliError(`cannot serve ${dir}: ${describeErrno((err as NodeJS.ErrnoException).code) ?? oneLine(err)}`);
  }
}
