/**
 * An existing Express app (its own pages, its own login) that adds WebDAV
 * with RFC 6578 sync under `/dav`, giving every user a store of their own.
 */
import express, { type Express } from 'express';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { davsync, type DavsyncMiddleware } from '@davsync/express';
import { basicLogin, type Users } from './login';

/** The demo's two users. */
export const DEMO_USERS: Users = { alice: 'alice-password', bob: 'bob-password' };

export function createApp(users: Users = DEMO_USERS): Express {
  const app = express();
  const login = basicLogin(users);

  // The app's own routes, untouched by davsync.
  app.get('/', (_req, res) => {
    res.type('text').send('Welcome. Your files are at /dav/ (WebDAV with RFC 6578 sync; log in to use it).\n');
  });
  app.get('/me', login, (_req, res) => {
    res.json({ user: res.locals['user'] });
  });

  // One davsync middleware per user, each over its own store, so each user
  // has their own tree, their own change journal and their own sync tokens.
  // Nothing in a request can reach another user's store. (With a store on
  // disk: openFsStore({ root: `/srv/dav/${user}` }) and davsync({ engine }).)
  const spaces = new Map<string, DavsyncMiddleware>(
    Object.keys(users).map((user) => [user, davsync({ adapter: new MemoryAdapter() })]),
  );

  // Login first: a request without valid credentials is answered 401 here
  // and never reaches davsync. Mounted at /dav, davsync writes every href
  // with the /dav prefix (it reads Express's req.baseUrl).
  app.use('/dav', login, (req, res, next) => {
    const user: unknown = res.locals['user'];
    const space = typeof user === 'string' ? spaces.get(user) : undefined;
    if (space === undefined) {
      res.sendStatus(403);
      return;
    }
    space(req, res, next);
  });

  return app;
}
