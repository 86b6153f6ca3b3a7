/**
 * Middleware options: one zod schema with defaults. Unknown keys are
 * refused with a message naming them, so a typo never silently does nothing.
 */
import { formatOptionsError, retentionSchema, SyncEngine, type StorageAdapter } from '@davsync/core';
import { z } from 'zod';
import type { IncomingMessage } from 'node:http';
import type { Authorize } from './access';
import { DEFAULT_IF_LIMITS, DEFAULT_XML_LIMITS } from '@davsync/protocol';
import { pushOptionsSchema } from './push/push-options';
import { changeStreamOptionsSchema } from './change-stream/change-stream';
import { uploadOptionsSchema } from './uploads/upload-options';

export const compressionOptionSchema = z.union([
  z.boolean(),
  z
    .object({
      level: z.number().int().min(1).max(9).optional(),
      minBytes: z.number().int().nonnegative().optional(),
    })
    .strict(),
]);

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null;

export const limitsSchema = z
  .object({
    /** Largest XML request body, in bytes. Default 1 MiB. */
    xmlBytes: z.number().int().positive().default(DEFAULT_XML_LIMITS.maxBytes),
    /** Deepest XML element nesting. Default 32. */
    xmlDepth: z.number().int().positive().default(DEFAULT_XML_LIMITS.maxDepth),
    /** Most elements in one XML body. Default 10 000. */
    xmlElements: z.number().int().positive().default(DEFAULT_XML_LIMITS.maxElements),
    /** Longest text or attribute value in an XML body. Default 64 KiB. */
    xmlText: z.number().int().positive().default(DEFAULT_XML_LIMITS.maxTextLength),
    /** Longest If header. Default 8 192 characters. */
    ifLength: z.number().int().positive().default(DEFAULT_IF_LIMITS.maxLength),
    /** Most lists in one If header. Default 64. */
    ifLists: z.number().int().positive().default(DEFAULT_IF_LIMITS.maxLists),
    /** Most conditions in one If header. Default 256. */
    ifConditions: z.number().int().positive().default(DEFAULT_IF_LIMITS.maxConditions),
    /** Longest request target (path and query, still percent-encoded), else 414. Default 8 192 characters. */
    urlLength: z.number().int().positive().default(8192),
    /**
     * Longest wait for the next bytes of a request body, in milliseconds,
     * else 408 and nothing is stored. Default 30 000. (The whole request is
     * also bounded by the host server's `requestTimeout`, 300 s in Node.)
     */
    bodyIdleMs: z.number().int().positive().default(30_000),
  })
  .strict();

/** The `authorize` option (see `access.ts`). */
export const authorizeSchema = z.custom<Authorize>((v) => typeof v === 'function', 'authorize must be a function');
/** The `user` option: who a request is from, for `authorize`. */
export const userSchema = z.custom<(req: IncomingMessage) => string | undefined>((v) => typeof v === 'function', 'user must be a function');

export const davsyncOptionsSchema = z
  .object({
    /** The store to serve (a SyncEngine is made for it). Give this or `engine`. */
    adapter: z.custom<StorageAdapter>(isObject, 'adapter must be a StorageAdapter').optional(),
    /** An engine you made yourself (to share it, or to call its API directly). */
    engine: z.custom<SyncEngine>((v) => v instanceof SyncEngine, 'engine must be a SyncEngine').optional(),
    /** Server page size for sync-collection (only with `adapter`). Default: no limit. */
    pageSize: z.number().int().positive().optional(),
    /** Removal history to keep (only with `adapter`). */
    retention: retentionSchema.optional(),
    /**
     * Hash every PUT body (SHA-1, MD5, SHA-256) as it streams in, for
     * `oc:checksums` (only with `adapter`; on an engine you pass, it is the
     * engine's `checksums` option). Default true (all three); `{ algorithms:
     * ['sha1', 'md5'] }` computes only those. False saves the hashing CPU;
     * `oc:checksums` then has nothing to report for new uploads, and an
     * `OC-Checksum` header is still verified.
     */
    checksums: z.union([z.boolean(), z.object({ algorithms: z.array(z.enum(['sha1', 'md5', 'sha256'])).min(1) }).strict()]).optional(),
    /**
     * RFC 6578 §3.2 makes a Depth other than 0 a 400 when the body has
     * `sync-level`. python3-caldav sends `Depth: 1` with it, so by default
     * `Depth: 1` is tolerated; `true` makes it a 400 too.
     */
    strictSyncDepth: z.boolean().default(false),
    /** Answer PROPFIND with `Depth: infinity` (else 403 `propfind-finite-depth`). Default true. */
    propfindInfinity: z.boolean().default(true),
    /** Request limits. */
    limits: limitsSchema.default(limitsSchema.parse({})),
    /**
     * Access control: asked for the target of every request and for every
     * member a response would show (see `access.ts`). Default: everyone may
     * do everything (authenticate and authorize in the host instead).
     */
    authorize: authorizeSchema.optional(),
    /**
     * The user a request is made by, for `authorize` (e.g. `(req) => req.user?.id`
     * after the host's authentication). Default: nobody (`undefined`).
     */
    user: userSchema.optional(),
    /**
     * Called with every unexpected error (answered as a bare 500). Default: console.error.
     * A client closing its connection mid-request is not one (see `client-closed.ts`).
     */
    onError: z.custom<(err: unknown) => void>((v) => typeof v === 'function', 'onError must be a function').optional(),
    /** WebDAV-Push (draft-bitfire-webdav-push): off unless given; see `push/push-options.ts` and docs/push.md. */
    push: pushOptionsSchema.optional(),
    /** Server-sent change events on collections (`GET` with `Accept: text/event-stream`): off unless given (`{}` for the defaults). */
    changeStream: changeStreamOptionsSchema.optional(),
    /**
     * `Content-Encoding: gzip` for multistatus answers, the collection page
     * and text-like files when the client's Accept-Encoding asks for it
     * (see `compression/` and docs/transfer.md). Default true; false turns
     * it off (e.g. behind a proxy that compresses); an object sets the zlib
     * `level` (1–9, default 4) and `minBytes` (default 1024).
     */
    compression: compressionOptionSchema.default(true),
    /**
     * Resumable uploads (draft-ietf-httpbis-resumable-upload, docs/uploads.md):
     * on by default where the store keeps uploads (memory, fs, PostgreSQL);
     * `false` turns them off. See `uploads/upload-options.ts`.
     */
    uploads: z.union([z.literal(false), uploadOptionsSchema]).optional(),
  })
  .strict()
  .refine((o) => (o.adapter === undefined) !== (o.engine === undefined), 'give exactly one of `adapter` or `engine`')
  .refine((o) => o.engine === undefined || (o.pageSize === undefined && o.retention === undefined && o.checksums === undefined), '`pageSize`, `retention` and `checksums` configure the engine: set them on the engine you pass');

export type DavsyncOptions = z.input<typeof davsyncOptionsSchema>;
export type ResolvedOptions = z.output<typeof davsyncOptionsSchema>;

/** Validates options, throwing a TypeError whose message names every problem. */
export function resolveOptions(options: DavsyncOptions): ResolvedOptions {
  const parsed = davsyncOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new TypeError(formatOptionsError('davsync: invalid options', parsed.error));
  }
  return parsed.data;
}
