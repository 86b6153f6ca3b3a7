/**
 * The `Authorization` header a client sends for HTTP Basic (RFC 7617):
 * here so the `davsync changes` command and `@davsync/client` build it one
 * way. Checking it is the server's business (the CLI's `basic-auth.ts`).
 */

/** `Basic base64(user:password)`, UTF-8 (RFC 7617 §2.1). */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
