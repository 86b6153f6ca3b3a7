// WebDAV-Push (draft-bitfire-webdav-push): registrations and their store
// contract, the in-memory store, topics, Push-Dont-Notify, and the
// dispatcher that turns change events into messages for a transport, and
// the row codec of the stores that keep registrations in a SQL table.
export { depthCovers, firedTriggers, isLiveRegistration } from './registration';
export type { PushDelivery, PushDepth, PushRegistration, PushRegistrationRequest, PushTrigger, WebPushSubscription } from './registration';
export { DEFAULT_MAX_PUSH_REGISTRATIONS, tooManyForUser } from './registration-store';
export type { PushDeliveryRecord, PushRegistrationLimits, PushRegistrationStore, PushRegistrationStoreOptions } from './registration-store';
export { MemoryPushRegistrationStore, newRegistrationId } from './memory-registration-store';
export type { PushMessage, PushTransport } from './transport';
export { pushTopic } from './topic';
export { currentPushSuppression, withoutPushTo } from './suppression';
export type { PushSuppression } from './suppression';
export { PushDispatcher } from './dispatcher';
export type { ChangeSource, PushBackoff, PushDispatcherOptions } from './dispatcher';
export { STORED_PUSH_REGISTRATION_COLUMNS, pushDepthOf, pushDepthText, registrationOfRow, storedRegistrationSettings } from './stored-registration-row';
export type { StoredPushRegistrationRow } from './stored-registration-row';
