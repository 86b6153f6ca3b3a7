/**
 * What happens to a method's answer on its way out: the upload limit
 * advertised on OPTIONS, then gzip. Uploads, change streams and push
 * registrations answer for themselves and skip these.
 */
import { compressResponse, DEFAULT_COMPRESSION, type CompressionSettings } from '../compression/compress-response';
import type { DavRequest, DavResponse } from '../dav-request';
import type { ResolvedOptions } from '../options';
import type { ResumableUploads } from '../uploads/resumable-uploads';

export interface ResponseTransforms {
  readonly uploads: ResumableUploads | undefined;
  readonly compression: CompressionSettings | undefined;
}

export function transformResponse(req: DavRequest, response: DavResponse, transforms: ResponseTransforms): Promise<DavResponse> {
  return compressResponse(req, advertiseUploadLimit(req, response, transforms.uploads), transforms.compression);
}

/** The resumable-uploads draft: OPTIONS names the limits of uploads a resource accepts. */
function advertiseUploadLimit(req: DavRequest, response: DavResponse, uploads: ResumableUploads | undefined): DavResponse {
  if (uploads === undefined || req.method !== 'OPTIONS') return response;
  return { ...response, headers: { ...response.headers, 'upload-limit': uploads.limitHeader() } };
}

/** The `compression` option as settings; `undefined` when off. */
export function compressionSettings(option: ResolvedOptions['compression']): CompressionSettings | undefined {
  if (option === false) return undefined;
  if (option === true) return DEFAULT_COMPRESSION;
  return { level: option.level ?? DEFAULT_COMPRESSION.level, minBytes: option.minBytes ?? DEFAULT_COMPRESSION.minBytes };
}
