/**
 * The app's own login, here HTTP Basic with a fixed list of users. It stands
 * for whatever your app already has: sessions, OAuth, JWT. davsync knows
 * nothing about it. It only sees the requests this middleware lets through,
 * and the user name it leaves in `res.locals.user`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

/** User name → password. A toy: a real app keeps salted password hashes (scrypt, argon2). */
export type Users = Readonly<Record<string, string>>;

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Lets a request through with a valid `Authorization: Basic …` header, else answers 401. */
export function basicLogin(users: Users, realm = 'example'): RequestHandler {
  const digests = new Map(Object.entries(users).map(([name, password]) => [name, sha256(password)]));
  const nobody = sha256('');
  return (req, res, next) => {
    const user = verify(req.headers.authorization, digests, nobody);
    if (user === undefined) {
      res.set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`).status(401).type('text').send('login required\n');
      return;
    }
    res.locals['user'] = user;
    next();
  };
}

/** The user a Basic header proves, or `undefined`. Compares digests in constant time. */
function verify(header: string | undefined, digests: ReadonlyMap<string, Buffer>, nobody: Buffer): string | undefined {
  const m = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header ?? '');
  if (m === null) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const name = decoded.slice(0, colon);
  const expected = digests.get(name);
  // An unknown name still costs one comparison, so timing does not tell names apart.
  const match = timingSafeEqual(sha256(decoded.slice(colon + 1)), expected ?? nobody);
  return match && expected !== undefined ? name : undefined;
}
