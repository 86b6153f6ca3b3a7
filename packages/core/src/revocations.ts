/**
 * Read-access revocations, per user. davsync's access control asks the host
 * who may read what *now*; that alone cannot tell a member a user lost
 * access to (which their next delta must report as removed, RFC 6578
 * §3.5.2) from one they never could read (which must not even be named to
 * them). The host says when a user lost access (`SyncEngine.revokeAccess`),
 * and this log keeps, per user and member path, the journal revision at
 * which that happened: a delta from a token older than that revision
 * reports the member as removed to that user only.
 *
 * One entry per (user, member) revoked; an entry is replaced by a later
 * revocation of the same member. The in-memory log forgets everything on
 * restart (a user then keeps a stale copy of what was revoked, and sees no
 * later change of it); durable stores provide their own.
 */
import type { DeltaView } from './delta';

export interface RevocationLog {
  /** Records that each of `users` lost read access to each of `paths` at `revision`. */
  record(users: readonly string[], paths: readonly string[], revision: number): Promise<void>;
  /** The latest revision at which `user` lost read access to `path`, or `undefined`. */
  revokedAt(user: string, path: string): Promise<number | undefined>;
  /** Releases resources. */
  close?(): Promise<void>;
}

/** A {@link RevocationLog} in memory. */
export class MemoryRevocationLog implements RevocationLog {
  private readonly byUser = new Map<string, Map<string, number>>();

  async record(users: readonly string[], paths: readonly string[], revision: number): Promise<void> {
    for (const user of users) {
      let revoked = this.byUser.get(user);
      if (revoked === undefined) this.byUser.set(user, (revoked = new Map()));
      for (const path of paths) revoked.set(path, Math.max(revision, revoked.get(path) ?? 0));
    }
  }

  async revokedAt(user: string, path: string): Promise<number | undefined> {
    return this.byUser.get(user)?.get(path);
  }
}

/** Who reads a delta, when access is restricted (`DeltaOptions.access`). */
export interface DeltaAccess {
  /** The user, as the revocations name them; `undefined`: nobody revocations could name. */
  readonly user?: string | undefined;
  /** Whether the user may read `path` now. */
  mayRead(path: string): boolean | Promise<boolean>;
}

/**
 * The per-user view of a delta from revision `since` (`undefined`: an
 * initial sync): a member the user may not read is left out, unless they
 * lost read access to it after `since` — then it is reported as removed
 * (RFC 6578 §3.5.2), to that user only. Who never could read a member is
 * never told its name.
 */
export function accessView(access: DeltaAccess, revocations: RevocationLog | undefined, since: number | undefined): DeltaView {
  const user = access.user;
  return async (change) => {
    if (await access.mayRead(change.path)) return change;
    if (change.type === 'forbidden' || since === undefined || user === undefined || revocations === undefined) return undefined;
    const revoked = await revocations.revokedAt(user, change.path);
    return revoked !== undefined && revoked > since ? { type: 'removed', path: change.path, collection: change.collection } : undefined;
  };
}
