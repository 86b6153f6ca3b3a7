// One operation of the npm `webdav` client (ESM-only, so it runs here in
// plain Node rather than inside jest's CommonJS module system), driven by
// webdav-client.test.ts. Usage: node webdav-op.mjs '<json>' where the JSON
// is { url, op, path, ... }; prints one JSON line: { ok: true, result } or
// { ok: false, status, message } when the client threw.
import { createClient } from 'webdav';

const args = JSON.parse(process.argv[2] ?? '{}');
const client = createClient(args.url);
// The token goes in an If header the way RFC 4918 §10.4 tags it to the resource.
const ifToken = (token) => (token ? { headers: { If: `<${args.url.replace(/\/$/, '')}${args.path}> (<${token}>)` } } : {});

const ops = {
  lock: () => client.lock(args.path, args.timeout ? { timeout: args.timeout } : {}),
  refresh: () => client.lock(args.path, { refreshToken: `(<${args.token}>)`, timeout: args.timeout }),
  unlock: () => client.unlock(args.path, args.token),
  put: () => client.putFileContents(args.path, args.content, { overwrite: true, ...ifToken(args.token) }),
  get: () => client.getFileContents(args.path, { format: 'text' }),
  delete: () => client.deleteFile(args.path, ifToken(args.token)),
  move: () => client.moveFile(args.path, args.to, ifToken(args.token)),
  compliance: () => client.getDAVCompliance(args.path),
};

try {
  const op = ops[args.op];
  if (op === undefined) throw new Error(`unknown op ${args.op}`);
  const result = await op();
  process.stdout.write(`${JSON.stringify({ ok: true, result: result ?? null })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, status: err.status ?? null, message: String(err.message ?? err) })}\n`);
}
