/**
 * Changes made through other instances, for listeners on this one
 * (PostgreSQL LISTEN/NOTIFY). An instance's own change events reach only
 * its own listeners; the change stream (server-sent events) must also hear
 * what another instance behind the same load balancer changed. So every
 * instance publishes its commits' paths with `pg_notify` on a channel of
 * the schema, and listens on it on one dedicated connection, passing on
 * what the *other* instances published. (WebDAV-Push needs none of this:
 * registrations are in the shared table, and the instance that makes a
 * change pushes it.)
 *
 * A NOTIFY payload is at most 8 000 bytes: a commit of more paths than fit
 * is published as their parent collections (one level up at a time until
 * it fits), which still names every collection whose direct members
 * changed, except in extreme cases. Notifications are not durable: while
 * the listening connection is down (a database restart; it reconnects with
 * a back-off up to 30 s) other instances' changes are missed, as clients of
 * a push mechanism must expect (they still sync periodically).
 */
import { createHash, randomUUID } from 'node:crypto';
import { affectedCollections, parentOf, type ChangeSource, type SyncLogChange, type SyncLogListener } from '@davsync/core';
import { Client, type ClientConfig, type Pool } from 'pg';
import { quoteSchema } from './schema';

export interface PostgresChangeFeedOptions {
  /** For publishing (one statement per commit). */
  readonly pool: Pool;
  /** How to open the one listening connection (the pool's connection string). */
  readonly connection: ClientConfig;
  /** The PostgreSQL schema of the store. Default `davsync`. */
  readonly schema?: string;
  /** This instance's own change events, published for the others. */
  readonly local: ChangeSource;
  /** Where publishing and listening failures are reported. Default: console.warn. */
  readonly onWarning?: (message: string) => void;
}

/** The payload bound of NOTIFY is 8 000 bytes; leave room for the envelope. */
const MAX_PAYLOAD = 7600;

/** The notification channel of a schema: a fixed-length name, so any schema name fits PostgreSQL's 63-byte limit. */
export function changeChannel(schema: string): string {
  return `davsync_changes_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}`;
}

/** The paths to publish for a commit: as given, or collapsed to parents until the payload fits. */
export function publishablePaths(paths: readonly string[], fits: (paths: readonly string[]) => boolean): string[] {
  let out = [...new Set(paths)];
  while (!fits(out) && !(out.length === 1 && out[0] === '/')) out = [...new Set(out.map((p) => parentOf(p) ?? '/'))];
  return out;
}

export class PostgresChangeFeed implements ChangeSource {
  private readonly instance = randomUUID();
  private readonly channel: string;
  private readonly listeners = new Set<SyncLogListener>();
  private readonly warn: (message: string) => void;
  private client: Client | undefined;
  private stopLocal: (() => void) | undefined;
  private retryMs = 1000;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(private readonly options: PostgresChangeFeedOptions) {
    quoteSchema(options.schema ?? 'davsync'); // the same names as the store accepts
    this.channel = changeChannel(options.schema ?? 'davsync');
    this.warn = options.onWarning ?? ((m: string) => console.warn(m));
  }

  /** Starts listening and publishing; resolves once LISTEN is in place. */
  async start(): Promise<void> {
    await this.connect();
    this.stopLocal = this.options.local.onChange((change) => this.publish(change));
  }

  /** Other instances' changes (paths and the collections they touch; `revision` is 0: read the token). */
  onChange(listener: SyncLogListener): () => void {
    const own: SyncLogListener = (change) => listener(change);
    this.listeners.add(own);
    return () => {
      this.listeners.delete(own);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopLocal?.();
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client(this.options.connection);
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, undefined));
    client.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload !== undefined) this.received(msg.payload);
    });
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
    this.retryMs = 1000;
  }

  private lost(client: Client, err: Error | undefined): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.warn(`davsync: the change feed's connection was lost${err === undefined ? '' : ` (${err.message})`}; other instances' changes are missed until it is back`);
    const retry = (): void => {
      this.retryTimer = setTimeout(() => {
        if (this.closed) return;
        this.connect().catch((e: unknown) => {
          this.retryMs = Math.min(this.retryMs * 2, 30_000);
          this.warn(`davsync: the change feed cannot reconnect yet: ${e instanceof Error ? e.message : String(e)}`);
          retry();
        });
      }, this.retryMs);
      this.retryTimer.unref?.();
    };
    retry();
  }

  private publish(change: SyncLogChange): void {
    if (this.closed) return;
    const envelope = (paths: readonly string[]): string => JSON.stringify({ i: this.instance, p: paths });
    const paths = publishablePaths(change.paths, (p) => Buffer.byteLength(envelope(p)) <= MAX_PAYLOAD);
    this.options.pool.query('SELECT pg_notify($1, $2)', [this.channel, envelope(paths)]).catch((err: unknown) => {
      this.warn(`davsync: could not publish a change to the other instances: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  private received(payload: string): void {
    let message: { i?: unknown; p?: unknown };
    try {
      message = JSON.parse(payload) as { i?: unknown; p?: unknown };
    } catch {
      return; // not ours
    }
    if (message.i === this.instance || !Array.isArray(message.p) || !message.p.every((p) => typeof p === 'string' && p.startsWith('/'))) return;
    const paths = message.p as string[];
    const change: SyncLogChange = { revision: 0, paths, collections: affectedCollections(paths) };
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (err) {
        this.warn(`davsync: a change listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
