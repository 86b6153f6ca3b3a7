/**
 * Options of wrap mode (`davsyncWrap`): one zod schema with defaults, unknown
 * keys refused with a message naming them (like `../options.ts`).
 */
import { formatOptionsError, retentionSchema, type JournalStore } from '@davsync/core';
import { z } from 'zod';
import { authorizeSchema, limitsSchema, userSchema } from '../options';
import { changeStreamOptionsSchema } from '../change-stream/change-stream';
import { pushOptionsSchema } from '../push/push-options';
import type { TrackedOption } from './tracked';

const isFunction = (v: unknown): boolean => typeof v === 'function';
const hasMethods = (...names: string[]) => (v: unknown): boolean =>
  typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

/** One member of the host's store, as a listing reports it. */
export interface HostMember {
  /** Member path relative to where davsync is mounted, decoded: `/addressbooks/alice/contacts/a.vcf`. */
  readonly path: string;
  /** Its current strong ETag, quoted (`"abc"`, as in an ETag header) or not (`abc`). Optional for collections. */
  readonly etag?: string;
  /** True for a collection. Default false; collections above listed members are implied. */
  readonly collection?: boolean;
}

/** What a listing can be: the members, sync or async, or a function producing them. */
export type HostMembers = Iterable<HostMember> | AsyncIterable<HostMember>;
export type HostListing = HostMembers | (() => HostMembers | Promise<HostMembers>);

/**
 * A property value the host supplies for a sync report: a string is the
 * element's text (escaped by davsync; a getetag is given quoted, as in an
 * ETag header); `{ xml }` is the whole property element, written verbatim,
 * so it must be well-formed and declare its namespaces; `undefined` or
 * `null` means the member does not have the property (a 404 propstat).
 */
export type HostPropertyValue = string | { readonly xml: string } | null | undefined;

/** Properties by Clark name (`{urn:ietf:params:xml:ns:carddav}address-data`). */
export type HostProperties = Readonly<Record<string, HostPropertyValue>>;

/** A changed member whose properties a report needs. */
export interface ReportMember {
  readonly path: string;
  readonly collection: boolean;
  /** The ETag davsync recorded, unquoted. */
  readonly etag: string;
}

/**
 * Supplies requested properties of changed members for a sync report, a
 * batch at a time. Return the properties per member path; a member left out
 * is answered from the journal (getetag and resourcetype only).
 */
export type PropertiesCallback = (
  members: readonly ReportMember[],
  names: readonly string[],
) =>
  | ReadonlyMap<string, HostProperties>
  | Readonly<Record<string, HostProperties>>
  | Promise<ReadonlyMap<string, HostProperties> | Readonly<Record<string, HostProperties>>>;

const trackedRule = z.union([z.string(), z.instanceof(RegExp), z.custom<(path: string) => boolean>(isFunction)]);

export const wrapOptionsSchema = z
  .object({
    /** Which host collections are syncable: a pattern, a RegExp, a predicate, or a list of them. */
    tracked: z.union([trackedRule, z.array(trackedRule).min(1)]),
    /** Where the journal lives. Default: in memory (lost on restart; adopt again). */
    journal: z
      .custom<JournalStore>(hasMethods('commit', 'get', 'collection', 'scan', 'prune', 'tombstoneCount'), 'journal must implement JournalStore')
      .optional(),
    /** ETag of a member when a write's response carries no strong ETag header. */
    etagOf: z.custom<(path: string) => string | undefined | null | Promise<string | undefined | null>>(isFunction, 'etagOf must be a function').optional(),
    /**
     * Everything the host has below a path (any depth), or `undefined` when
     * nothing exists there. Lets davsync adopt a tracked collection the
     * first time it meets it, and learn what a MOVE or COPY of a collection
     * put at its destination.
     */
    list: z
      .custom<(path: string) => HostListing | undefined | null | Promise<HostListing | undefined | null>>(isFunction, 'list must be a function')
      .optional(),
    /** Properties beyond getetag/resourcetype for sync reports (address-data, calendar-data, ...). */
    properties: z.custom<PropertiesCallback>(isFunction, 'properties must be a function').optional(),
    /** Members per `properties` call. Default 100. */
    propertiesBatchSize: z.number().int().positive().default(100),
    /** Server page size for sync-collection. Default: no limit. */
    pageSize: z.number().int().positive().optional(),
    /** Removal history to keep. */
    retention: retentionSchema.optional(),
    /** As in full-server mode: also refuse `Depth: 1` on a sync REPORT with `sync-level`. */
    strictSyncDepth: z.boolean().default(false),
    /** Request limits (XML bodies, If header), as in full-server mode. */
    limits: limitsSchema.default(limitsSchema.parse({})),
    /** Largest host PROPFIND answer davsync will merge its properties into. Default 16 MiB; larger ones pass unmerged. */
    mergeBytes: z.number().int().positive().default(16 * 1024 * 1024),
    /**
     * When recording a captured change fails (the journal cannot commit):
     * `'fail'` (default) answers 500 instead of the host's 2xx, so a client
     * is never told a change succeeded that the journal missed; `'log'`
     * passes the host's answer on. Either way `onError` gets the error.
     */
    recordFailure: z.enum(['fail', 'log']).default('fail'),
    /**
     * How long a write with a sync token in its If header waits for writes
     * already in flight in that collection before it is answered 503.
     * Default 10 s.
     */
    preconditionWaitMs: z.number().int().positive().default(10_000),
    /**
     * Access control for what davsync answers itself: sync-collection
     * REPORTs (the collection needs `sync`; each member reported needs
     * `read`, and revocations are reported as removals, as in full-server
     * mode). Everything else is the host's request, authorized by the host.
     */
    authorize: authorizeSchema.optional(),
    /** Who a request is from, for `authorize`. */
    user: userSchema.optional(),
    /**
     * WebDAV-Push for the tracked collections, as in full-server mode (see
     * docs/push.md): push-register POSTs are answered before the host, the
     * push properties merged into its PROPFIND answers, captured and
     * recorded changes notify. Off unless given.
     */
    push: pushOptionsSchema.optional(),
    /** The change stream (server-sent events) on tracked collections, as in full-server mode. Off unless given. */
    changeStream: changeStreamOptionsSchema.optional(),
    /** Called with every unexpected error. Default: console.error. */
    onError: z.custom<(err: unknown) => void>(isFunction, 'onError must be a function').optional(),
  })
  .strict();

/** Options of {@link davsyncWrap}. */
export type WrapOptions = Omit<z.input<typeof wrapOptionsSchema>, 'tracked'> & { readonly tracked: TrackedOption };
export type ResolvedWrapOptions = z.output<typeof wrapOptionsSchema>;

/** Validates options, throwing a TypeError whose message names every problem. */
export function resolveWrapOptions(options: WrapOptions): ResolvedWrapOptions {
  const parsed = wrapOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new TypeError(formatOptionsError('davsync: invalid wrap options', parsed.error));
  }
  return parsed.data;
}
