/**
 * Retention: how much removal history the journal keeps. Live entries are the
 * state and are never pruned; tombstones are pruned oldest first past these
 * limits, which moves the token horizon of the collections they were in
 * (RFC 6578 §3.2 allows invalidating tokens to bound history). A client with
 * an older token gets `valid-sync-token` and does a full sync.
 */
import { z } from 'zod';
import type { PruneRule } from './journal';

export const retentionSchema = z
  .object({
    /** Keep at most this many tombstones. Default 100 000. */
    maxTombstones: z.number().int().nonnegative().default(100_000),
    /** Drop tombstones older than this (milliseconds). Default: no age limit. */
    maxAgeMs: z.number().int().positive().optional(),
  })
  .strict();

export type RetentionOptions = z.input<typeof retentionSchema>;
export type RetentionPolicy = z.output<typeof retentionSchema>;

/** The prune rule a policy implies at time `now`. */
export function pruneRule(policy: RetentionPolicy, now: number): PruneRule {
  return {
    maxTombstones: policy.maxTombstones,
    ...(policy.maxAgeMs === undefined ? {} : { removedBefore: now - policy.maxAgeMs }),
  };
}
