/** The `uploads` option: resumable uploads (docs/uploads.md). */
import { z } from 'zod';

export const uploadOptionsSchema = z
  .object({
    /** Remove an upload nobody has appended to for this long. Default 24 h. */
    idleExpirySeconds: z.number().int().positive().default(24 * 60 * 60),
    /** Most unfinished uploads one user may have at once (else 507). Default 16. */
    maxPerUser: z.number().int().positive().default(16),
    /** Largest upload, in bytes (`Upload-Limit: max-size`); the store's own body limit and quota apply at completion too. Default: none. */
    maxBytes: z.number().int().positive().optional(),
    /** tus 1.0 at `/.tus/` (@tus/server, `tus-endpoint.ts`) besides the IETF protocol. Default false. */
    tus: z.boolean().default(false),
    /** The clock, in ms since the epoch (tests give a fake one). Default `Date.now`. */
    now: z.custom<() => number>((v) => typeof v === 'function', 'uploads.now must be a function').optional(),
  })
  .strict();

export type UploadOptions = z.output<typeof uploadOptionsSchema>;
