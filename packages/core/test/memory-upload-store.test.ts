/** The memory upload store against the upload-store conformance suite. */
import { MemoryUploadStore } from '@davsync/core';
import { defineUploadStoreSuite } from '@davsync/core/testing';

defineUploadStoreSuite({ name: 'memory', create: () => new MemoryUploadStore() });
