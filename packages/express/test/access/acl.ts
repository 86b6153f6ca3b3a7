/**
 * A small host-side permission table for the access tests: per user, the
 * subtrees they may read and the subtrees they may write; `admin` may do
 * everything. It stands in for whatever a real host keeps (a database of
 * shares, group memberships…) behind its `authorize` hook.
 */
import type { AccessRequest } from '@davsync/express';

const covers = (prefix: string, path: string): boolean =>
  prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);

export class Acl {
  readonly reads = new Map<string, Set<string>>();
  readonly writes = new Map<string, Set<string>>();
  /** Subtrees a user may do nothing with, whatever else they were granted. */
  readonly denied = new Map<string, Set<string>>();
  /** Every question the hook was asked, for tests that check what was asked. */
  readonly asked: AccessRequest[] = [];

  grantRead(user: string, prefix: string): this {
    this.setOf(this.reads, user).add(prefix);
    return this;
  }

  revokeRead(user: string, prefix: string): this {
    this.setOf(this.reads, user).delete(prefix);
    return this;
  }

  grantWrite(user: string, prefix: string): this {
    this.setOf(this.writes, user).add(prefix);
    return this;
  }

  deny(user: string, prefix: string): this {
    this.setOf(this.denied, user).add(prefix);
    return this;
  }

  /** Every known user may read the root itself (not what is below it): it is where clients start. */
  mayRead(user: string | undefined, path: string): boolean {
    if (path === '/' && user !== undefined) return true;
    return this.allows(this.reads, user, path);
  }

  mayWrite(user: string | undefined, path: string): boolean {
    return this.allows(this.writes, user, path);
  }

  /** The `authorize` hook. Sync is allowed wherever reading is. */
  readonly authorize = (request: AccessRequest): boolean => {
    this.asked.push(request);
    return request.action === 'write' ? this.mayWrite(request.user, request.path) : this.mayRead(request.user, request.path);
  };

  private allows(grants: Map<string, Set<string>>, user: string | undefined, path: string): boolean {
    if (user === 'admin') return true;
    if (user === undefined || [...(this.denied.get(user) ?? [])].some((p) => covers(p, path))) return false;
    return [...(grants.get(user) ?? [])].some((p) => covers(p, path));
  }

  private setOf(map: Map<string, Set<string>>, user: string): Set<string> {
    let set = map.get(user);
    if (set === undefined) map.set(user, (set = new Set()));
    return set;
  }
}

/** The `user` option of the tests: the host's authentication would set this; here a header names the user. */
export const userFromHeader = (req: { headers: Record<string, string | string[] | undefined> }): string | undefined => {
  const u = req.headers['x-test-user'];
  return typeof u === 'string' ? u : undefined;
};

export const as = (user: string, headers: Record<string, string> = {}): Record<string, string> => ({ ...headers, 'x-test-user': user });
