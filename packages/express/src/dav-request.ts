/**
 * The framework-neutral request and response the handler works on. The
 * Express/Connect/node:http glue (`node-http.ts`) translates to and from
 * these, so the handler is tested without sockets and a second host
 * framework is one small file.
 */

export interface DavRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Request target relative to the mount point, still percent-encoded (may carry a query). */
  readonly url: string;
  /** Path prefix of the mount point (`''` at the root, `'/dav'` under `app.use('/dav', …)`). */
  readonly base: string;
  /** Header values by lower-case name; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The request body as bytes; read at most once. */
  readonly body: AsyncIterable<Uint8Array>;
  /** Scheme and host the client used (`http://host:port`), for absolute URIs in headers. */
  readonly origin?: string;
  /** The authenticated user, for the `authorize` hook (`undefined`: anonymous). */
  readonly user?: string;
  /**
   * Aborted when the client goes away before the response is sent: reads and
   * listings stop (`ReadOptions.signal`). The middleware gives one to the
   * methods that read or list (GET, HEAD, PROPFIND, COPY, MOVE, DELETE, LOCK).
   */
  readonly signal?: AbortSignal;
  /**
   * Sends an interim (1xx) response before the final one, when the host
   * can (resumable uploads' 104); absent or a no-op where it cannot.
   */
  readonly interim?: (status: number, reason: string, headers: Record<string, string>) => void;
}

export interface DavResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** A whole body, or a stream of chunks (large multistatus bodies are streamed). */
  readonly body?: string | Uint8Array | AsyncIterable<string | Uint8Array>;
  /** Write each chunk of a streamed body as it comes, never collecting a first part (a change stream). */
  readonly live?: boolean;
}
