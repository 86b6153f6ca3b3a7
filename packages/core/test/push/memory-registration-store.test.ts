/** MemoryPushRegistrationStore: the push-registration-store conformance suite. */
import { MemoryPushRegistrationStore } from '@davsync/core';
import { definePushRegistrationStoreSuite } from '@davsync/core/testing';

definePushRegistrationStoreSuite({ name: 'MemoryPushRegistrationStore', create: (options) => new MemoryPushRegistrationStore(options) });
