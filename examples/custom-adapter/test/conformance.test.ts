// The whole adapter contract, and the sync engine over this adapter, in one
// call. An adapter author copies this file and changes the two names.
import { defineAdapterSuite } from '@davsync/core/testing';
import { KvAdapter } from '../src/kv-adapter';

defineAdapterSuite({ name: 'key-value map', create: () => new KvAdapter() });
