import { MemoryAdapter } from '@davsync/adapter-memory';
import { type ChangeSet, SyncEngine } from '@davsync/core';

const body = (text: string) =>
  (async function* () {
    yield Buffer.from(text);
  })();

const show = (set: ChangeSet): string[] =>
  set.changes.map((c) => (c.type === 'changed' ? `  changed ${c.path}  etag ${c.etag}` : `  ${c.type} ${c.path}`));

/** Runs a short sync session and returns what a client saw, line by line. */
export async function runDemo(): Promise<string[]> {
  const engine = new SyncEngine({ adapter: new MemoryAdapter() });
  const out: string[] = [];
  await engine.mkcol('/contacts');
  await engine.write('/contacts/alice.vcf', body('BEGIN:VCARD\nFN:Alice\nEND:VCARD\n'));
  await engine.write('/contacts/bob.vcf', body('BEGIN:VCARD\nFN:Bob\nEND:VCARD\n'));

  const first = await engine.changes('/contacts', null, { level: 1 });
  out.push('initial sync (empty token):', ...show(first), `  token ${first.token}`);

  await engine.write('/contacts/bob.vcf', body('BEGIN:VCARD\nFN:Robert\nEND:VCARD\n'));
  await engine.write('/contacts/carol.vcf', body('BEGIN:VCARD\nFN:Carol\nEND:VCARD\n'));
  await engine.remove('/contacts/alice.vcf');

  const delta = await engine.changes('/contacts', first.token, { level: 1 });
  out.push('delta after 1 change, 1 add, 1 delete:', ...show(delta), `  token ${delta.token}`);

  const idle = await engine.changes('/contacts', delta.token, { level: 1 });
  out.push(`up-to-date sync: ${idle.changes.length} changes, same token: ${idle.token === delta.token}`);
  return out;
}
