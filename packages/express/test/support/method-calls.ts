/**
 * The in-process method tests' set-up: one neutral handler per test file
 * on the store DAVSYNC_TEST_STORE names, opened before the file's tests
 * and closed after them, and `req` to call it.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { call, type Reply } from './handler-call';
import { openHandler, type TestHandler } from './server';

export interface FileHandler {
  /** The handler and its store (valid once the file's tests run). */
  readonly current: () => TestHandler;
  /** One request to the handler, no socket. */
  readonly req: (method: string, url: string, headers?: Record<string, string>, body?: string) => Promise<Reply>;
}

export function handlerForThisFile(): FileHandler {
  let t: TestHandler | undefined;
  beforeAll(async () => {
    t = await openHandler();
  });
  afterAll(async () => {
    await t?.close();
  });
  const current = (): TestHandler => {
    if (t === undefined) throw new Error('the handler is opened in beforeAll: use it inside a test');
    return t;
  };
  return { current, req: (method, url, headers = {}, body) => call(current().handler, method, url, headers, body) };
}
