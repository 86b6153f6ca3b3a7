/**
 * PROPPATCH (RFC 4918 §9.2): sets and removes dead properties, all or
 * nothing. Protected live properties are refused with 403
 * `cannot-modify-protected-property`, and then nothing else is applied (the
 * other properties report 424 Failed Dependency).
 *
 * The ownCloud dialect's modification-time properties (`DAV:lastmodified`,
 * `Win32LastModifiedTime`, see `owncloud-properties.ts`) set the member's
 * modification time when the store can keep one (`setModified`); a value
 * that is not a time is refused with 409 (§9.2.1: a value whose semantics
 * do not fit the property) and nothing is applied.
 */
import type { DavContext } from '../context';
import { checkPreconditions } from '../preconditions';
import type { DavResponse } from '../dav-request';
import { PROTECTED } from '../properties/entry-properties';
import { clientTimeOf, isStoredTimeProperty, isTimeProperty } from '../properties/owncloud-properties';
import { DAV, multistatusChunks, parsePropPatch, parseXml, type ErrorCondition, type PropPatchOp, type Propstat } from '@davsync/protocol';

export async function handleProppatch(ctx: DavContext): Promise<DavResponse> {
  const ops = parsePropPatch(await parseXml(ctx.req.body, ctx.xmlLimits()));
  const entry = await ctx.existing();
  await checkPreconditions(ctx, entry, { locks: [{ path: ctx.path }] });
  const names = [...new Set(ops.map((op) => op.name))];
  const times = ctx.engine.adapter.setModified === undefined ? new Set<string>() : new Set(names.filter(isTimeProperty));
  const storable = (n: string): boolean => !times.has(n) || isStoredTimeProperty(n);
  const hasStore = ctx.engine.adapter.properties !== undefined;
  const refused = new Set(names.filter((n) => PROTECTED.has(n) || (!hasStore && storable(n))));
  const href = ctx.href(entry.path, entry.collection);
  const plan = refused.size > 0 ? undefined : planOf(ops, times);
  let propstats: Propstat[];
  if (refused.size > 0) {
    propstats = refusal(names, refused, 403, [DAV.cannotModifyProtectedProperty]);
  } else if (plan !== undefined && 'conflict' in plan) {
    propstats = refusal(names, new Set([plan.conflict.name]), 409, [], plan.conflict.why);
  } else {
    const { set, remove, time } = plan as Plan;
    // Two journaled steps, both checked above before either runs; the
    // member is locked against other writers by the tree lock of each.
    const patchNames = [...Object.keys(set), ...remove];
    if (patchNames.length > 0) await ctx.engine.patchProperties(entry.path, set, remove);
    if (time !== undefined) await ctx.engine.setModified(entry.path, time);
    propstats = [{ status: 200, props: names.map((name) => ({ name })) }];
  }
  return {
    status: 207,
    headers: { 'content-type': 'application/xml; charset=utf-8' },
    body: multistatusChunks([{ href, propstats }]),
  };
}

interface Plan {
  readonly set: Record<string, string>;
  readonly remove: string[];
  /** The modification time the last time property set, if any. */
  readonly time: Date | undefined;
}

/** The dead-property patch and the modification time the instructions amount to, or the first bad time value. */
function planOf(ops: readonly PropPatchOp[], times: ReadonlySet<string>): Plan | { conflict: { name: string; why: string } } {
  // §9.2: instructions apply in document order, so the last one per name wins.
  // No prototype: a property may be called `__proto__`.
  const set: Record<string, string> = Object.create(null) as Record<string, string>;
  const remove = new Set<string>();
  let time: Date | undefined;
  for (const op of ops) {
    if (op.op === 'set' && times.has(op.name)) {
      const parsed = clientTimeOf(op.name, op.value);
      if ('refused' in parsed) return { conflict: { name: op.name, why: parsed.refused } };
      time = parsed.time;
      if (!isStoredTimeProperty(op.name)) continue;
    } else if (op.op === 'remove' && times.has(op.name) && !isStoredTimeProperty(op.name)) {
      // Removing a time that is not stored changes nothing: a member always has one.
      continue;
    }
    if (op.op === 'set') {
      set[op.name] = op.value;
      remove.delete(op.name);
    } else {
      delete set[op.name];
      remove.add(op.name);
    }
  }
  return { set, remove: [...remove], time };
}

/** The propstats of a refused PROPPATCH: `refused` with `status`, every other name 424. */
function refusal(names: readonly string[], refused: ReadonlySet<string>, status: number, error: ErrorCondition[], description?: string): Propstat[] {
  return [
    {
      status,
      props: [...refused].map((name) => ({ name })),
      ...(error.length > 0 ? { error } : {}),
      ...(description === undefined ? {} : { description }),
    },
    ...(refused.size < names.length ? [{ status: 424, props: names.filter((n) => !refused.has(n)).map((name) => ({ name })) }] : []),
  ];
}
