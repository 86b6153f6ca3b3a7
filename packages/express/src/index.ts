/**
 * @davsync/express — public API. Everything exported here is subject to
 * semver; anything not exported is internal.
 */
export { davsync } from './middleware';
export type { DavsyncMiddleware, NextFunction } from './middleware';
export { createDavHandler } from './handler';
export type { DavHandler } from './handler';
export type { DavRequest, DavResponse } from './dav-request';
export { davsyncOptionsSchema } from './options';
export type { DavsyncOptions } from './options';
