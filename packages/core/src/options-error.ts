/**
 * The one wording of an options refusal, for every options schema davsync
 * has (the engine's, the sync log's, the middleware's, wrap mode's): a
 * `TypeError` whose message names every problem zod found, each with the
 * option it is about.
 */
import type { z } from 'zod';

/** `prefix: a.b: problem; other problem` for a zod validation error. */
export function formatOptionsError(prefix: string, error: z.ZodError): string {
  const why = error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
  return `${prefix}: ${why}`;
}

/** Validates options with a zod schema, throwing a TypeError that names every problem. */
export function parseOptions<T>(schema: z.ZodType<T>, options: unknown, what: string): T {
  const parsed = schema.safeParse(options);
  if (!parsed.success) throw new TypeError(formatOptionsError(`davsync: invalid ${what} options`, parsed.error));
  return parsed.data;
}
