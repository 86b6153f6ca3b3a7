/**
 * @davsync/express — public API. Everything exported here is subject to
 * semver; anything not exported is internal.
 */
export { davsync } from './middleware';
export type { DavsyncMiddleware, NextFunction } from './middleware';
export { createDavHandler } from './handler';
export type { DavHandler } from './handler';
export type { DavRequest, DavResponse } from './dav-request';
export type { AccessAction, AccessRequest, Authorize } from './access';
export { davsyncOptionsSchema } from './options';
export type { DavsyncOptions } from './options';
export { davsyncWrap } from './wrap/wrap';
export type { DavsyncWrap, WrapChange } from './wrap/wrap';
export { wrapOptionsSchema } from './wrap/options';
export type { HostListing, HostMember, HostMembers, HostProperties, HostPropertyValue, PropertiesCallback, ReportMember, WrapOptions } from './wrap/options';
export type { AdoptOptions, AdoptResult } from './wrap/adopt';
export type { TrackedOption, TrackedRule } from './wrap/tracked';
export { generateVapidKeys, WebPushTransport } from './push/web-push-transport';
export type { VapidKeys, WebPushTransportOptions } from './push/web-push-transport';
export { pushOptionsSchema } from './push/push-options';
export type { PushOptions } from './push/push-options';
export { PushResourcePolicy } from './push/push-resource-policy';
export type { PushResourcePolicyOptions } from './push/push-resource-policy';
export type { WebDavPush } from './push/webdav-push';
export { describeRegistration } from './push/webdav-push';
export { changeStreamOptionsSchema } from './change-stream/change-stream';
export type { ChangeStreamOptions, ChangeStreams } from './change-stream/change-stream';
