/**
 * The database schema: every table, index and function davsync keeps in
 * PostgreSQL, inside one PostgreSQL schema (a namespace, `davsync` by
 * default) so several stores can share a database and nothing collides with
 * the host application's tables.
 *
 * The schema carries a version in `schema_version`; `migrate` runs the steps
 * from the stored version to {@link SCHEMA_VERSION} in one transaction under
 * an advisory lock, so two instances starting at once do not both create the
 * tables (`CREATE ... IF NOT EXISTS` alone still races on the catalog), and
 * refuses a schema written by a newer davsync rather than guessing.
 */
import type { Pool } from 'pg';
import { DavError } from '@davsync/core';
import { inTransaction } from './transaction';

/** The schema version this build writes and understands. */
export const SCHEMA_VERSION = 9;

/** PostgreSQL schema names davsync accepts: plain identifiers, so quoting is never subtle. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name and returns it double-quoted for SQL text. */
export function quoteSchema(name: string): string {
  if (!SCHEMA_NAME.test(name)) {
    throw new TypeError(`davsync: the PostgreSQL schema name must match ${SCHEMA_NAME} (lower case, digits, _), not ${JSON.stringify(name)}`);
  }
  return `"${name}"`;
}

/**
 * Step `i` takes a schema from version `i` to `i + 1`; `s` is the quoted
 * schema name. Append only: a released step is never edited.
 */
const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    -- One row: the store-wide revision counter, the tombstone count and the
    -- root's incarnation. Every transaction that records journal entries
    -- locks this row first and holds it to its commit: that serializes
    -- revision assignment with commit order (see docs/architecture.md).
    CREATE TABLE ${s}.clock (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      revision bigint NOT NULL DEFAULT 0,
      tombstones bigint NOT NULL DEFAULT 0,
      root_incarnation text NOT NULL
    );
    INSERT INTO ${s}.clock (root_incarnation) VALUES (replace(gen_random_uuid()::text, '-', ''));

    -- The served tree, one row per member. Paths sort bytewise (COLLATE "C"),
    -- so the members below /a are exactly the range ('/a/', '/a0'): subtree
    -- removal, copy and move are one index range whatever the database locale.
    CREATE TABLE ${s}.members (
      path text COLLATE "C" PRIMARY KEY,
      parent text COLLATE "C",
      collection boolean NOT NULL,
      etag text NOT NULL,
      size bigint,
      content_type text,
      blob bigint,
      chunk_size integer,
      created timestamptz NOT NULL DEFAULT now(),
      modified timestamptz NOT NULL DEFAULT now(),
      properties jsonb NOT NULL DEFAULT '{}'::jsonb
    );
    CREATE INDEX members_by_parent ON ${s}.members (parent, path);
    CREATE INDEX members_by_blob ON ${s}.members (blob) WHERE blob IS NOT NULL;
    INSERT INTO ${s}.members (path, parent, collection, etag) VALUES ('/', NULL, true, 'col-' || replace(gen_random_uuid()::text, '-', ''));

    -- File bodies: immutable blobs of fixed-size chunks. A copy shares its
    -- source's blob; a blob is deleted when no member refers to it any more.
    CREATE SEQUENCE ${s}.blob_ids;
    CREATE TABLE ${s}.chunks (
      blob bigint NOT NULL,
      seq integer NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (blob, seq)
    );
    -- Bodies are mostly compressed formats already: store them out of line
    -- without trying to compress them again.
    ALTER TABLE ${s}.chunks ALTER COLUMN data SET STORAGE EXTERNAL;

    -- The change journal, as in the SQLite journal: the latest entry per
    -- path, keyed by its revision (an update moves the row to its new one).
    CREATE TABLE ${s}.entries (
      revision bigint PRIMARY KEY,
      path text COLLATE "C" NOT NULL UNIQUE,
      parent text COLLATE "C" NOT NULL,
      removed boolean NOT NULL,
      collection boolean NOT NULL,
      etag text NOT NULL,
      incarnation text,
      created_revision bigint,
      removed_at bigint
    );
    -- Level 1: a collection's direct members in revision order.
    CREATE INDEX entries_by_parent ON ${s}.entries (parent, revision);
    -- Pruning: tombstones oldest first without walking live entries.
    CREATE INDEX entries_tombstones ON ${s}.entries (revision) WHERE removed;

    -- Level infinite: one row per (proper ancestor, revision) of every entry,
    -- so a subtree's entries in revision order are one index range.
    CREATE TABLE ${s}.scopes (
      ancestor text COLLATE "C" NOT NULL,
      revision bigint NOT NULL,
      PRIMARY KEY (ancestor, revision)
    );

    -- Retention horizons per collection path, raised by pruning.
    CREATE TABLE ${s}.horizons (
      path text COLLATE "C" PRIMARY KEY,
      direct bigint NOT NULL DEFAULT 0,
      deeper bigint NOT NULL DEFAULT 0
    );

    -- The proper ancestors of a member path, nearest first, ending with '/'.
    CREATE FUNCTION ${s}.ancestors_of(p text) RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT AS $fn$
    DECLARE
      out text[] := '{}';
    BEGIN
      FOR i IN REVERSE length(p) .. 2 LOOP
        IF substr(p, i, 1) = '/' THEN out := out || left(p, i - 1); END IF;
      END LOOP;
      RETURN out || '/'::text;
    END $fn$;

    -- Records changes as consecutive revisions (JournalStore.commit), in one
    -- round trip. The caller has checked every change and left out the root.
    CREATE FUNCTION ${s}.commit_changes(p_paths text[], p_removed boolean[], p_collection boolean[], p_etags text[], p_now bigint)
    RETURNS bigint LANGUAGE plpgsql AS $fn$
    DECLARE
      head bigint;
      tomb bigint;
      rev bigint;
      old record;
      existed boolean;
      ancs text[];
      inc text;
      created bigint;
    BEGIN
      SELECT revision, tombstones INTO head, tomb FROM ${s}.clock FOR UPDATE;
      FOR i IN 1 .. coalesce(array_length(p_paths, 1), 0) LOOP
        head := head + 1;
        rev := head;
        ancs := ${s}.ancestors_of(p_paths[i]);
        SELECT e.revision, e.removed, e.collection, e.incarnation, e.created_revision INTO old
          FROM ${s}.entries e WHERE e.path = p_paths[i];
        existed := FOUND;
        inc := NULL;
        created := NULL;
        IF NOT p_removed[i] AND p_collection[i] THEN
          -- A collection gets a new incarnation whenever it comes into existence here.
          IF existed AND NOT old.removed AND old.collection THEN
            inc := old.incarnation;
            created := old.created_revision;
          ELSE
            inc := replace(gen_random_uuid()::text, '-', '');
            created := rev;
          END IF;
        END IF;
        IF NOT existed THEN
          INSERT INTO ${s}.entries (revision, path, parent, removed, collection, etag, incarnation, created_revision, removed_at)
          VALUES (rev, p_paths[i], ancs[1], p_removed[i], p_collection[i],
                  CASE WHEN p_removed[i] THEN '' ELSE p_etags[i] END, inc, created,
                  CASE WHEN p_removed[i] THEN p_now END);
          INSERT INTO ${s}.scopes (ancestor, revision) SELECT a, rev FROM unnest(ancs) AS a;
        ELSE
          IF old.removed THEN tomb := tomb - 1; END IF;
          UPDATE ${s}.entries SET revision = rev, removed = p_removed[i], collection = p_collection[i],
                 etag = CASE WHEN p_removed[i] THEN '' ELSE p_etags[i] END, incarnation = inc, created_revision = created,
                 removed_at = CASE WHEN p_removed[i] THEN p_now END
           WHERE revision = old.revision;
          UPDATE ${s}.scopes SET revision = rev WHERE ancestor = ANY (ancs) AND revision = old.revision;
        END IF;
        IF p_removed[i] THEN tomb := tomb + 1; END IF;
      END LOOP;
      UPDATE ${s}.clock SET revision = head, tombstones = tomb;
      RETURN head;
    END $fn$;

    -- Drops tombstones oldest first until the first one within both limits
    -- (MemoryJournal's rule), raising the horizons of the scopes they were in.
    CREATE FUNCTION ${s}.prune_tombstones(p_max bigint, p_before bigint)
    RETURNS bigint LANGUAGE plpgsql AS $fn$
    DECLARE
      tomb bigint;
      dropped bigint := 0;
      t record;
      ancs text[];
    BEGIN
      SELECT tombstones INTO tomb FROM ${s}.clock FOR UPDATE;
      FOR t IN SELECT revision, path, removed_at FROM ${s}.entries WHERE removed ORDER BY revision LOOP
        EXIT WHEN tomb <= p_max AND t.removed_at >= p_before;
        ancs := ${s}.ancestors_of(t.path);
        DELETE FROM ${s}.entries WHERE revision = t.revision;
        DELETE FROM ${s}.scopes WHERE ancestor = ANY (ancs) AND revision = t.revision;
        INSERT INTO ${s}.horizons (path, direct) VALUES (ancs[1], t.revision)
          ON CONFLICT (path) DO UPDATE SET direct = greatest(${s}.horizons.direct, excluded.direct);
        INSERT INTO ${s}.horizons (path, deeper) SELECT a, t.revision FROM unnest(ancs[2:]) AS a
          ON CONFLICT (path) DO UPDATE SET deeper = greatest(${s}.horizons.deeper, excluded.deeper);
        tomb := tomb - 1;
        dropped := dropped + 1;
      END LOOP;
      IF dropped > 0 THEN UPDATE ${s}.clock SET tombstones = tomb; END IF;
      RETURN dropped;
    END $fn$;
  `,
  // 2: read-access revocations per user (SyncEngine.revokeAccess).
  (s) => `
    CREATE TABLE ${s}.revocations (
      "user" text COLLATE "C" NOT NULL,
      path text COLLATE "C" NOT NULL,
      revision bigint NOT NULL,
      PRIMARY KEY ("user", path)
    );
  `,
  // 3: WebDAV locks (PostgresLockStore), shared by every instance.
  (s) => `
    CREATE TABLE ${s}.locks (
      token text PRIMARY KEY,
      root text COLLATE "C" NOT NULL,
      scope text NOT NULL CHECK (scope IN ('exclusive', 'shared')),
      depth text NOT NULL CHECK (depth IN ('0', 'infinity')),
      owner text,
      principal text,
      timeout integer NOT NULL,
      expires bigint NOT NULL
    );
    -- The check every write makes: the locks rooted at the path and at each
    -- ancestor, one index probe each; a subtree's locks, one range.
    CREATE INDEX locks_by_root ON ${s}.locks (root);
    -- Purging expired locks without reading live ones.
    CREATE INDEX locks_by_expiry ON ${s}.locks (expires);
  `,
  // 4: the bytes of file content held (RFC 4331 quota), a running total on
  // the clock row. Statement triggers with transition tables keep it: one
  // UPDATE per statement whatever the rows (a COPY of 10 000 files adds
  // one sum), on the row every mutation has locked already, so it adds no
  // contention; every path that changes members is covered, none can
  // forget. Copies count again: a quota is on what the user stores.
  (s) => `
    ALTER TABLE ${s}.clock ADD COLUMN used_bytes bigint NOT NULL DEFAULT 0;
    UPDATE ${s}.clock SET used_bytes = (SELECT coalesce(sum(size), 0) FROM ${s}.members);
    CREATE FUNCTION ${s}.count_bytes() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      delta bigint := 0;
    BEGIN
      IF TG_OP IN ('INSERT', 'UPDATE') THEN delta := delta + (SELECT coalesce(sum(size), 0) FROM added); END IF;
      IF TG_OP IN ('DELETE', 'UPDATE') THEN delta := delta - (SELECT coalesce(sum(size), 0) FROM gone); END IF;
      IF delta <> 0 THEN UPDATE ${s}.clock SET used_bytes = used_bytes + delta; END IF;
      RETURN NULL;
    END $fn$;
    CREATE TRIGGER members_bytes_inserted AFTER INSERT ON ${s}.members
      REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ${s}.count_bytes();
    CREATE TRIGGER members_bytes_updated AFTER UPDATE ON ${s}.members
      REFERENCING OLD TABLE AS gone NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ${s}.count_bytes();
    CREATE TRIGGER members_bytes_deleted AFTER DELETE ON ${s}.members
      REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION ${s}.count_bytes();
  `,
  // 5: file IDs (Entry.fileId): drawn from a sequence, so never reused;
  // existing members get theirs now. A moved row keeps its own, a copied
  // row draws a new one.
  (s) => `
    ALTER TABLE ${s}.members ADD COLUMN file_id bigserial NOT NULL;
  `,
  // 6: WebDAV-Push registrations (PostgresPushRegistrationStore), shared by
  // every instance: any instance's change reaches every registration.
  (s) => `
    CREATE TABLE ${s}.push_registrations (
      id text PRIMARY KEY,
      -- Registration order (oldest first in listings), even within one millisecond.
      seq bigint GENERATED ALWAYS AS IDENTITY,
      collection text COLLATE "C" NOT NULL,
      push_resource text NOT NULL,
      "user" text,
      public_key text NOT NULL,
      auth_secret text NOT NULL,
      content_depth text CHECK (content_depth IN ('0', '1', 'infinity')),
      property_depth text CHECK (property_depth IN ('0', '1', 'infinity')),
      created bigint NOT NULL,
      expires bigint NOT NULL,
      failures integer NOT NULL DEFAULT 0,
      last_at bigint,
      last_ok boolean,
      last_status integer,
      last_error text,
      UNIQUE (collection, push_resource)
    );
    CREATE INDEX push_registrations_by_expiry ON ${s}.push_registrations (expires);
    CREATE INDEX push_registrations_by_user ON ${s}.push_registrations ("user", collection);
  `,
  // 7: content checksums of files (issue 17), lowercase hex, NULL when not
  // computed (a write with checksums off; files from before this step).
  (s) => `
    ALTER TABLE ${s}.members ADD COLUMN IF NOT EXISTS sha1 text, ADD COLUMN IF NOT EXISTS md5 text, ADD COLUMN IF NOT EXISTS sha256 text;
  `,
  // 8: block hashes of files (issue 20): `<block size>:<sha256 hex> …`,
  // computed with sha256 (`Checksums.blocks`); NULL as for the checksums.
  (s) => `
    ALTER TABLE ${s}.members ADD COLUMN IF NOT EXISTS blocks text;
  `,
  // 9: resumable uploads (issue 20): a row per upload, its bytes as chunks,
  // so any instance can resume an upload another one began. Idempotent, as
  // step 7: tests rewind a schema's version and migrate it again.
  (s) => `
    CREATE TABLE IF NOT EXISTS ${s}.uploads (
      id text PRIMARY KEY,
      target text NOT NULL,
      owner text,
      length bigint,
      meta jsonb NOT NULL DEFAULT '{}',
      "offset" bigint NOT NULL DEFAULT 0,
      updated bigint NOT NULL
    );
    CREATE INDEX IF NOT EXISTS uploads_by_owner ON ${s}.uploads (owner);
    CREATE TABLE IF NOT EXISTS ${s}.upload_chunks (
      upload text NOT NULL REFERENCES ${s}.uploads (id) ON DELETE CASCADE,
      seq integer NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (upload, seq)
    );
  `,
];

/**
 * Creates the schema or brings it up to date. Safe to call from every
 * instance at start-up: the first one migrates, the others wait for its
 * advisory lock and then find nothing to do.
 *
 * @throws DavError('unavailable') when the schema was written by a newer
 *   davsync, or the database cannot be reached.
 */
export async function migrate(pool: Pool, schema: string): Promise<void> {
  await migrateTo(pool, schema, SCHEMA_VERSION);
}

/**
 * {@link migrate}, stopping at `target`: an older version exactly as that
 * release left it, so the tests can check each upgrade step against a
 * fresh schema. Internal (not exported by the package).
 */
export async function migrateTo(pool: Pool, schema: string, target: number): Promise<void> {
  if (!Number.isInteger(target) || target < 1 || target > SCHEMA_VERSION) throw new RangeError(`davsync: no schema version ${target}`);
  const s = quoteSchema(schema);
  await inTransaction(pool, 'migrating the schema', async (client) => {
    // Transaction-scoped, so a crash mid-migration cannot leave it held.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`davsync schema ${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_version (version integer NOT NULL)`);
    const row = (await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_version`)).rows[0];
    const from = row?.version ?? 0;
    if (from > SCHEMA_VERSION) {
      throw new DavError(
        'unavailable',
        `the PostgreSQL schema ${schema} has davsync schema version ${from}, newer than the ${SCHEMA_VERSION} this davsync understands; ` +
          'upgrade davsync on every instance',
      );
    }
    for (let v = from; v < target; v++) await client.query((MIGRATIONS[v] as (s: string) => string)(s));
    if (row === undefined) await client.query(`INSERT INTO ${s}.schema_version (version) VALUES ($1)`, [target]);
    else if (from < target) await client.query(`UPDATE ${s}.schema_version SET version = $1`, [target]);
  });
}
