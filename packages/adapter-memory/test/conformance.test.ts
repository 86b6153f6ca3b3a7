import { defineAdapterSuite } from '@davsync/core/testing';
import { MemoryAdapter } from '@davsync/adapter-memory';

defineAdapterSuite({ name: 'memory', create: () => new MemoryAdapter() });
