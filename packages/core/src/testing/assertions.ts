/** Assertions on the `DavError` codes adapters must throw. */
import { expect } from '@jest/globals';
import { DavError, isDavError, type DavErrorCode } from '../errors';

/**
 * Asserts that `action` fails with a `DavError` of `code`. The failure message
 * names what happened instead (another code, another error, or success).
 */
export async function expectDavError(code: DavErrorCode, action: () => Promise<unknown>): Promise<void> {
  let outcome: unknown = SUCCEEDED;
  try {
    await action();
  } catch (err) {
    outcome = err;
  }
  if (isDavError(outcome, code)) return;
  expect(describeOutcome(outcome)).toBe(describeOutcome(new DavError(code, '')));
}

const SUCCEEDED = Symbol('succeeded');

function describeOutcome(outcome: unknown): string {
  if (outcome === SUCCEEDED) return 'no error: the call succeeded';
  if (isDavError(outcome)) return `DavError with code '${outcome.code}'`;
  if (outcome instanceof Error) return `${outcome.name} (not a DavError of this core): ${outcome.message}`;
  return `a thrown non-error: ${String(outcome)}`;
}
