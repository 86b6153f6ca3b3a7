/**
 * PROPPATCH (RFC 4918 §9.2): sets and removes dead properties, all or
 * nothing. Protected live properties are refused with 403
 * `cannot-modify-protected-property`, and then nothing else is applied (the
 * other properties report 424 Failed Dependency).
 */
import type { DavContext } from '../context';
import { checkPreconditions } from '../preconditions';
import type { DavResponse } from '../dav-request';
import { PROTECTED } from '../properties/entry-properties';
import { DAV, multistatusChunks, parsePropPatch, parseXml } from '@davsync/protocol';

export async function handleProppatch(ctx: DavContext): Promise<DavResponse> {
  const ops = parsePropPatch(await parseXml(ctx.req.body, ctx.xmlLimits()));
  const entry = await ctx.existing();
  await checkPreconditions(ctx, entry, { locks: [{ path: ctx.path }] });
  const names = [...new Set(ops.map((op) => op.name))];
  const refused = ctx.engine.adapter.properties === undefined ? new Set(names) : new Set(names.filter((n) => PROTECTED.has(n)));
  const href = ctx.href(entry.path, entry.collection);
  let propstats;
  if (refused.size > 0) {
    propstats = [
      { status: 403, props: [...refused].map((name) => ({ name })), error: [DAV.cannotModifyProtectedProperty] },
      ...(refused.size < names.length ? [{ status: 424, props: names.filter((n) => !refused.has(n)).map((name) => ({ name })) }] : []),
    ];
  } else {
    // §9.2: instructions apply in document order, so the last one per name wins.
    // No prototype: a property may be called `__proto__`.
    const set: Record<string, string> = Object.create(null) as Record<string, string>;
    const remove = new Set<string>();
    for (const op of ops) {
      if (op.op === 'set') {
        set[op.name] = op.value;
        remove.delete(op.name);
      } else {
        delete set[op.name];
        remove.add(op.name);
      }
    }
    await ctx.engine.patchProperties(entry.path, set, [...remove]);
    propstats = [{ status: 200, props: names.map((name) => ({ name })) }];
  }
  return {
    status: 207,
    headers: { 'content-type': 'application/xml; charset=utf-8' },
    body: multistatusChunks([{ href, propstats }]),
  };
}
