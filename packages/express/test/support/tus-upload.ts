/**
 * One tus-js-client upload from Node, run to its end or its error — or
 * stopped after its first chunk, to resume it later (after a restart, in
 * another test's server) with `uploadUrl`. Shared by the tus tests of the
 * middleware and of `davsync serve --tus`.
 */
import { Upload, type HttpRequest } from 'tus-js-client';

export interface TusUploadOptions {
  /** The tus endpoint, e.g. `http://127.0.0.1:PORT/.tus/`. */
  readonly endpoint: string;
  readonly metadata?: Record<string, string>;
  /** An upload to resume rather than create. */
  readonly uploadUrl?: string;
  /** Aborted once the first chunk (1 MiB) is stored. */
  readonly stopAfterFirstChunk?: boolean;
  readonly headers?: Record<string, string>;
}

export interface TusUploadResult {
  readonly url: string | null;
  /** How many PATCH requests it sent. */
  readonly patches: number;
  readonly error?: Error;
}

export function tusUpload(data: Buffer, options: TusUploadOptions): Promise<TusUploadResult> {
  return new Promise((resolve) => {
    let patches = 0;
    const upload: Upload = new Upload(data, {
      endpoint: options.endpoint,
      ...(options.uploadUrl === undefined ? {} : { uploadUrl: options.uploadUrl }),
      metadata: options.metadata ?? {},
      chunkSize: 1024 * 1024,
      retryDelays: null,
      storeFingerprintForResuming: false,
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      onBeforeRequest: (req: HttpRequest) => {
        if (req.getMethod() === 'PATCH') patches++;
      },
      onChunkComplete: () => {
        if (options.stopAfterFirstChunk === true) void upload.abort().then(() => resolve({ url: upload.url, patches }));
      },
      onSuccess: () => resolve({ url: upload.url, patches }),
      onError: (error) => resolve({ url: upload.url, patches, error }),
    });
    upload.start();
  });
}
