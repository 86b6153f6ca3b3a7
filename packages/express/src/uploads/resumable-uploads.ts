/**
 * Resumable uploads (draft-ietf-httpbis-resumable-upload-12, interop
 * version 8) over the store's `UploadStore`:
 *
 * - creation: a PUT with `Upload-Complete` makes an upload resource,
 *   announced at once in a `104 (Upload Resumption Supported)` interim
 *   response (when the client speaks interop version 8) and, for
 *   `Upload-Complete: ?0`, in the final 201's `Location`; the bytes that
 *   arrive are kept even when the client goes away mid-body;
 * - HEAD/GET on the upload URL: `Upload-Offset`, `Upload-Complete: ?0`;
 * - PATCH (`application/partial-upload`) with `Upload-Offset`: appends;
 *   a wrong offset is a 409 with the right one, a second appender a 409;
 * - DELETE: cancels.
 *
 * The request that completes an upload is answered as the PUT would have
 * been: the whole upload is streamed from the upload store into the
 * ordinary PUT (`handlePut`), with the creating request's headers (media
 * type, If-Match, If, X-OC-Mtime, OC-Checksum), so locks, preconditions,
 * quota, checksums and journaling apply unchanged and the member appears
 * atomically, journaled once.
 */
import { adoptionOf, conflict, DavError, expireUploads, parentOf, type UploadRecord, type UploadStore } from '@davsync/core';
import { checkPreconditions } from '../preconditions';
import type { DavContext } from '../context';
import type { DavRequest, DavResponse } from '../dav-request';
import { handlePut } from '../methods/put';
import { errorResponse } from '../error-response';
import { INTEROP_VERSION, parseBooleanField, parseIntegerField, speaksInteropVersion, uploadLimit } from './upload-headers';
import type { UploadOptions } from './upload-options';
import { newUploadId, uploadTarget, uploadUrl } from './upload-url';
import { ClientLimitError } from '../error-response';

/** Headers of the creating request that the completing PUT is made with. */
const KEPT_HEADERS = ['content-type', 'if-match', 'if-none-match', 'if', 'x-oc-mtime', 'oc-checksum'] as const;

const PROBLEM_BASE = 'https://iana.org/assignments/http-problem-types#';

/** Makes the context a request runs in (the handler's own factory). */
export type ContextFactory = (req: DavRequest) => DavContext;

/** Sweep for idle uploads at most this often (on creation). */
const SWEEP_EVERY_MS = 60_000;

export class ResumableUploads {
  readonly #store: UploadStore;
  readonly #options: UploadOptions;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;
  #lastSweep = -Infinity;

  constructor(store: UploadStore, options: UploadOptions, onError: (err: unknown) => void) {
    this.#store = store;
    this.#options = options;
    this.#onError = onError;
    this.#now = options.now ?? Date.now;
  }

  /** The upload store and options (the tus endpoint shares them). */
  get store(): UploadStore {
    return this.#store;
  }

  get options(): UploadOptions {
    return this.#options;
  }

  /** Whether the request targets the reserved upload segment. */
  isUploadTarget(req: DavRequest): boolean {
    return uploadTarget(req.url) !== undefined;
  }

  /** Whether a PUT asks for a resumable upload (a well-formed `Upload-Complete`). */
  isCreation(req: DavRequest): boolean {
    return req.method === 'PUT' && parseBooleanField(req.headers['upload-complete']) !== undefined;
  }

  /** Removes uploads idle past the expiry; returns how many went. */
  async sweep(): Promise<number> {
    this.#lastSweep = this.#now();
    return (await expireUploads(this.#store, this.#now() - this.#options.idleExpirySeconds * 1000)).length;
  }

  /** `Upload-Limit` for a response (OPTIONS too). */
  limitHeader(record?: UploadRecord): string {
    const maxAgeSeconds = record === undefined ? this.#options.idleExpirySeconds : (record.updated + this.#options.idleExpirySeconds * 1000 - this.#now()) / 1000;
    return uploadLimit({ ...(this.#options.maxBytes === undefined ? {} : { maxBytes: this.#options.maxBytes }), maxAgeSeconds });
  }

  /** A PUT with `Upload-Complete`: creates the upload, takes the body, completes it when `?1`. */
  async create(ctx: DavContext, makeContext: ContextFactory): Promise<DavResponse> {
    const req = ctx.req;
    const complete = parseBooleanField(req.headers['upload-complete']) === true;
    const declared = parseIntegerField(req.headers['content-length']);
    const length = lengthOf(req, complete ? declared : undefined, 0);
    if (length !== undefined && this.#options.maxBytes !== undefined && length > this.#options.maxBytes) {
      throw new DavError('payload-too-large', `davsync: uploads are limited to ${this.#options.maxBytes} bytes`);
    }
    if (ctx.header('content-range') !== undefined) throw new DavError('bad-request', 'davsync: PUT with Content-Range is not supported');
    const before = await ctx.engine.adapter.stat(ctx.path);
    if (before?.collection || ctx.path === '/') throw new DavError('method-not-allowed', 'cannot PUT to a collection', ctx.path);
    // Refusals the PUT would make at completion, made now too, before a byte is stored:
    // a missing parent, a false If/If-Match, a lock not held. (Completion checks again.)
    const parent = await ctx.engine.adapter.stat(parentOf(ctx.path) ?? '/');
    if (parent?.collection !== true) throw conflict(ctx.path, 'davsync: the parent collection does not exist');
    await checkPreconditions(ctx, before, { locks: [{ path: ctx.path }] });
    if (this.#now() - this.#lastSweep >= SWEEP_EVERY_MS) await this.sweep();
    if ((await this.#store.list(req.user)).length >= this.#options.maxPerUser) {
      throw new ClientLimitError('insufficient-storage', `davsync: at most ${this.#options.maxPerUser} unfinished uploads per user`);
    }
    const meta: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = req.headers[name];
      if (value !== undefined) meta[name] = value;
    }
    const target = req.url.split(/[?#]/)[0] as string;
    const record = await this.#store.create({ id: newUploadId(), target, ...(req.user === undefined ? {} : { owner: req.user }), ...(length === undefined ? {} : { length }), meta }, this.#now());
    const location = uploadUrl(req, record.id);
    // Only a client that speaks our interop version may see a 104 (the draft's appendix).
    if (speaksInteropVersion(req.headers['upload-draft-interop-version'])) {
      req.interim?.(104, 'Upload Resumption Supported', {
        location,
        'upload-draft-interop-version': String(INTEROP_VERSION),
        'upload-limit': this.limitHeader(record),
      });
    }
    const appended = await this.#append(record, 0, ctx.req.body, length);
    if (complete) return await this.#complete(appended, req, makeContext);
    return {
      status: 201,
      headers: { location, 'upload-complete': '?0', 'upload-offset': String(appended.offset), 'upload-limit': this.limitHeader(appended), 'content-length': '0' },
    };
  }

  /** A request to an upload URL. */
  async handle(req: DavRequest, makeContext: ContextFactory): Promise<DavResponse> {
    const { id } = uploadTarget(req.url) ?? {};
    const record = id === undefined ? undefined : await this.#store.get(id);
    // Another user's upload is not theirs to know of: the same 404 as none.
    if (record === undefined || record.owner !== req.user) throw new DavError('not-found', 'davsync: no such upload');
    if (record.updated + this.#options.idleExpirySeconds * 1000 <= this.#now()) {
      await this.#store.remove(record.id).catch(() => undefined);
      throw new DavError('not-found', 'davsync: the upload expired');
    }
    switch (req.method) {
      case 'HEAD':
      case 'GET':
        return { status: 204, headers: { ...this.#state(record), 'upload-limit': this.limitHeader(record), 'cache-control': 'no-store' } };
      case 'DELETE':
        await this.#guarded(record, () => this.#store.remove(record.id));
        return { status: 204, headers: { 'content-length': '0' } };
      case 'PATCH':
        return await this.#patch(record, req, makeContext);
      default:
        return { status: 405, headers: { allow: 'HEAD, GET, PATCH, DELETE', 'content-length': '0' } };
    }
  }

  async #patch(record: UploadRecord, req: DavRequest, makeContext: ContextFactory): Promise<DavResponse> {
    const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/partial-upload') throw new DavError('unsupported-media-type', 'davsync: append to an upload with Content-Type: application/partial-upload');
    const offset = parseIntegerField(req.headers['upload-offset']);
    if (offset === undefined) throw new DavError('bad-request', 'davsync: an append needs a valid Upload-Offset');
    const complete = parseBooleanField(req.headers['upload-complete']);
    if (complete === undefined) throw new DavError('bad-request', 'davsync: an append needs Upload-Complete: ?0 or ?1');
    if (offset !== record.offset) return mismatch(record, offset);
    const declared = parseIntegerField(req.headers['content-length']);
    const length = lengthOf(req, complete ? declared : undefined, offset);
    if (length !== undefined && record.length !== undefined && length !== record.length) return inconsistentLength();
    const appended = await this.#append(record, offset, req.body, length ?? record.length);
    if (complete) return await this.#complete(appended, req, makeContext);
    return { status: 204, headers: { ...this.#state(appended), 'content-length': '0' } };
  }

  /** Appends, mapping the store's refusals to the draft's answers. */
  async #append(record: UploadRecord, offset: number, body: AsyncIterable<Uint8Array>, length: number | undefined): Promise<UploadRecord> {
    const maxBytes = Math.min(length ?? Infinity, this.#options.maxBytes ?? Infinity);
    return await this.#guarded(record, () =>
      this.#store.append(record.id, offset, body, {
        now: this.#now(),
        ...(Number.isFinite(maxBytes) ? { maxBytes } : {}),
        ...(length === undefined ? {} : { length }),
      }),
    );
  }

  /** Runs a store call, answering "another request is using this upload" as a 409 with the offset. */
  async #guarded<T>(record: UploadRecord, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof DavError && (err.code === 'busy' || err.code === 'conflict')) {
        const now = (await this.#store.get(record.id)) ?? record;
        throw new UploadConflict(err.message, now.offset);
      }
      throw err;
    }
  }

  /** The upload is whole: the PUT it stands for, answered with `Upload-Complete: ?1`. */
  async #complete(record: UploadRecord, req: DavRequest, makeContext: ContextFactory): Promise<DavResponse> {
    if (record.length !== undefined && record.offset !== record.length) return inconsistentLength();
    const body = await this.#store.read(record.id);
    const put = makeContext({ ...req, method: 'PUT', url: record.target, headers: { ...record.meta }, body });
    await put.require('write', put.path);
    let response: DavResponse;
    try {
      response = await handlePut(put);
      await this.#store.remove(record.id);
    } catch (err) {
      // A refusal of the representation (412, 409, 507…) is final: resuming
      // cannot change it. A passing failure keeps the upload, to complete
      // again with an empty PATCH.
      // An upload whose file the store adopted (adoptable-body.ts) has no bytes left to complete with.
      const passing = err instanceof DavError && ['unavailable', 'busy', 'request-timeout'].includes(err.code);
      if ((err instanceof DavError && !passing) || adoptionOf(body)?.adopted === true) await this.#store.remove(record.id).catch(() => undefined);
      response = errorResponse(err, this.#onError);
    }
    // The draft: a response to the completing request says it is the target's.
    return { ...response, headers: { ...response.headers, 'upload-complete': '?1' } };
  }

  #state(record: UploadRecord): Record<string, string> {
    return {
      'upload-complete': '?0',
      'upload-offset': String(record.offset),
      ...(record.length === undefined ? {} : { 'upload-length': String(record.length) }),
    };
  }
}

/**
 * The announced length: `Upload-Length`, or, on a request that completes
 * the upload, offset + Content-Length (the draft's two indicators); they
 * must agree.
 */
function lengthOf(req: DavRequest, contentLength: number | undefined, offset: number): number | undefined {
  const announced = parseIntegerField(req.headers['upload-length']);
  const implied = contentLength === undefined ? undefined : offset + contentLength;
  if (announced !== undefined && implied !== undefined && announced !== implied) {
    throw new DavError('bad-request', 'davsync: Upload-Length disagrees with Content-Length');
  }
  return announced ?? implied;
}

/** A 409 that tells the client where the upload really is. */
export class UploadConflict extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function mismatch(record: UploadRecord, provided: number): DavResponse {
  const body = JSON.stringify({
    type: `${PROBLEM_BASE}mismatching-upload-offset`,
    title: 'offset from request does not match offset of resource',
    'expected-offset': record.offset,
    'provided-offset': provided,
  });
  return {
    status: 409,
    headers: {
      'content-type': 'application/problem+json',
      'upload-complete': '?0',
      'upload-offset': String(record.offset),
      'x-davsync-reason': `davsync: the upload is at offset ${record.offset}, not ${provided}`,
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  };
}

function inconsistentLength(): DavResponse {
  const body = JSON.stringify({ type: `${PROBLEM_BASE}inconsistent-upload-length`, title: 'inconsistent length values for upload' });
  return {
    status: 400,
    headers: { 'content-type': 'application/problem+json', 'upload-complete': '?0', 'x-davsync-reason': 'davsync: inconsistent upload length', 'content-length': String(Buffer.byteLength(body)) },
    body,
  };
}

/** The answer to an {@link UploadConflict}. */
export function conflictResponse(err: UploadConflict): DavResponse {
  const body = JSON.stringify({ type: 'about:blank', title: 'the upload is in use or at another offset', detail: err.message });
  return {
    status: 409,
    headers: {
      'content-type': 'application/problem+json',
      'upload-complete': '?0',
      'upload-offset': String(err.offset),
      'x-davsync-reason': err.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200),
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  };
}
