/** The `--help` texts. Kept together so the README and `--help` are easy to compare. */

export const MAIN_HELP = `Usage: davsync <command> [options]

WebDAV with RFC 6578 collection sync.

Commands:
  serve [DIR]     serve DIR (default ./data) over WebDAV; the root / is a syncable collection
  changes URL     ask a collection what changed (a sync-collection REPORT) and print it
  sync DIR URL    keep a local folder and a remote collection the same, both ways
  push list DIR   show a store's WebDAV-Push registrations and their last delivery

Options:
  -h, --help      show help (also: davsync <command> --help)
  -v, --version   show the version

Exit status: 0 success, 1 failure, 2 bad command line.
`;

export const SERVE_HELP = `Usage: davsync serve [DIR] [options]

Serve DIR (default ./data, created if missing) as a WebDAV server with RFC 6578
collection sync. Prints one line when ready; SIGINT or SIGTERM stop it gracefully.

Options:
      --memory             serve an in-memory store instead of a folder (no DIR)
      --postgres URL       serve the store in a PostgreSQL database (postgresql://user@host/db;
                           tables go in schema "davsync", created if missing). Run several
                           servers on one database behind a load balancer: they share one
                           change history. The password can come from PGPASSWORD instead.
  -p, --port N             TCP port (default 8080; 0 picks a free one, shown in the ready line)
      --host ADDR          address to bind (default 127.0.0.1: this machine only)
      --page-size N        server page size for sync-collection (default: no limit)
      --retention N        most removal records kept (default 100000); older tokens need a full sync
      --quota BYTES        with --memory or --postgres: most bytes of file content stored (RFC 4331);
                           a PUT or COPY past it is refused with 507 (default: no limit)
      --log-level LEVEL    silent, error, warn, info (default: one line per request) or debug
      --checksums LIST     digests computed of uploads for oc:checksums: sha1, md5, sha256 (default all;
                           rclone's owncloud vendor compares md5, nextcloud sha1; see docs/clients.md)
      --no-checksums       do not hash uploads
      --no-compression     never gzip answers (e.g. behind a proxy that compresses; see docs/transfer.md)
      --tus                also take tus 1.0 uploads at /.tus/ (tus-js-client, Uppy; see docs/uploads.md)
  -u, --user NAME:PASS     require HTTP Basic authentication
      --push               WebDAV-Push (DAVx5, Web Push) and server-sent change events
                           (GET a collection with Accept: text/event-stream); see docs/push.md
      --push-subject URL   the VAPID contact push services see (default mailto:davsync@localhost)
      --push-allow-http-loopback
                           accept plain-http push services on 127.0.0.1 (tests)
  -h, --help               show this help

Environment:
  DAVSYNC_USER, DAVSYNC_PASSWORD   credentials, instead of --user (kept out of ps and shell history)
  DAVSYNC_VAPID_PUBLIC_KEY, DAVSYNC_VAPID_PRIVATE_KEY
                                   the push keys (else kept in DIR/.davsync/push-vapid.json,
                                   or made per run for --memory and --postgres)

Request log lines and the ready line go to stdout; warnings and errors to stderr.
`;

export const CHANGES_HELP = `Usage: davsync changes URL [options]

Send a sync-collection REPORT (RFC 6578) to the collection at URL and print what
changed: one row per member (changed, removed or forbidden, its href with names
decoded, and its ETag), then the new sync token and whether the answer was
truncated.

Options:
  -t, --token TOKEN        only what changed since this token (default: everything)
      --level 1|infinite   direct members only (default), or the whole tree
      --limit N            ask for at most N results (the answer is then truncated)
      --json               print one JSON document (hrefs as sent) instead of the table
  -u, --user NAME:PASS     HTTP Basic credentials (or user:pass@ in URL)
  -h, --help               show this help

Environment:
  DAVSYNC_USER, DAVSYNC_PASSWORD   credentials, instead of --user

A token the server refuses (403 valid-sync-token: not one of its tokens for this
collection, or too old) means a full sync is needed: run again without --token.
`;

export const SYNC_HELP = `Usage: davsync sync DIR URL [options]

Keep the folder DIR and the WebDAV collection at URL the same, both ways: what
changed on one side since the last pass is copied to the other. Uses RFC 6578
sync where the server has it, a PROPFIND walk where it does not. State lives in
DIR/.davsync-client/ (never uploaded).

Conflicts keep both versions: the server's keeps the name, the local one is kept
beside it as "NAME (conflict YYYY-MM-DD HHMMSS).EXT" and uploaded. A file
deleted on one side and edited on the other is kept, edited.

Options:
      --once               pass until both sides agree, then exit (0: in sync)
  -n, --dry-run            print what a pass would do; change nothing
      --json               one JSON document per pass on stdout
      --max-delete PCT     refuse a pass that deletes more than PCT % of the
                           synced files (default 50; 100 turns the guard off)
      --interval SECONDS   without --once: between timed passes (default 30)
      --full-scan SECONDS  without --once: scan DIR at least this often even
                           when the watcher heard nothing (default 600)
      --transfers N        downloads, uploads, conflicts and folders made
                           at once (default 4; 1 to 64)
      --no-watch           without --once: neither watch DIR nor listen to the
                           server's change stream; timed passes only
  -u, --user NAME:PASS     HTTP Basic credentials (or user:pass@ in URL)
  -h, --help               show this help

Environment:
  DAVSYNC_USER, DAVSYNC_PASSWORD   credentials, instead of --user

Without --once it keeps running: a pass at start, then one whenever DIR changes
(watched), the server says its collection changed (its change stream, where it
has one: davsync serve --push), or --interval passes (polling by sync token).
While the watcher works, passes do not scan DIR: they look only at the paths it
reported (an idle poll is one request, an edit a few lstats); DIR is still
scanned at start, after a watcher error, an event without a path, a failed pass
and every --full-scan seconds, as watchers can miss events.

Progress goes to stderr, one summary line per pass to stdout. Exit status: 0 in
sync (or stopped by SIGINT/SIGTERM), 1 failure or refusal (DIR or the remote
collection missing, too many deletions, not in sync after --once), 2 bad command line.
`;

export const PUSH_HELP = `Usage: davsync push list DIR [options]
       davsync push list --postgres URL [options]

Show the WebDAV-Push registrations of a store (every user's): per collection,
each registration's id, user, push service (origin only), triggers, expiry and
its last delivery — when, and what the push service answered. For finding out
why a client is not woken (see docs/push.md, "Push does not arrive").

DIR is a folder served with davsync serve --push (its .davsync/state.db is read;
the server may be running). Registrations in memory (--memory) are not listed:
ask the server (GET /.webdav-push/?collection=/path shows your own).

Options:
      --postgres URL       the store in this PostgreSQL database (schema "davsync")
      --collection PATH    only the registrations on this collection (/calendars/alice/home)
      --json               print one JSON array (ISO dates) instead of the text
  -h, --help               show this help
`;
