/** Local names for address-book and calendar members whose own names are not file names. */
import { describe, expect, it } from '@jest/globals';
import { MemberNames } from '../src/remote/member-names';
import { RemotePaths } from '../src/remote/remote-paths';

describe('MemberNames', () => {
  it('keeps usable names, maps the others with the extension, numbers a taken name, and reports each new pair once', () => {
    const added: [string, string][] = [];
    const names = new MemberNames('.vcf', [], (s, p) => added.push([s, p]));
    expect(names.localOf('alice.vcf')).toBeUndefined();
    expect(names.localOf('ALICE.VCF')).toBeUndefined();
    expect(names.localOf('c-123')).toBe('c-123.vcf');
    expect(names.localOf('c-123')).toBe('c-123.vcf');
    expect(names.localOf('a%2Fb.vcf')).toBe('a_b.vcf.vcf');
    expect(names.localOf('.hidden.vcf')).toBe('_hidden.vcf.vcf');
    expect(names.localOf(`${'x'.repeat(300)}.vcf`)).toBe(`${'x'.repeat(200)}.vcf`);
    expect(names.localOf(`${'x'.repeat(301)}.vcf`)).toBe(`${'x'.repeat(200)} (2).vcf`);
    expect(names.localOf('%ZZ')).toBe('%ZZ.vcf');
    expect(added.map(([s]) => s)).toEqual(['c-123', 'a%2Fb.vcf', '.hidden.vcf', `${'x'.repeat(300)}.vcf`, `${'x'.repeat(301)}.vcf`, '%ZZ']);
    expect(names.segmentOf('c-123.vcf')).toBe('c-123');
    expect(names.segmentOf('alice.vcf')).toBeUndefined();
  });

  it('the pairs stored from an earlier pass give the same names, whatever order members come in', () => {
    const first = new MemberNames('.ics', [['e1', 'e1.ics']]);
    expect(first.localOf('e1')).toBe('e1.ics');
    expect(first.segmentOf('e1.ics')).toBe('e1');
  });

  it('RemotePaths maps direct members only, in one canonical encoding, and sends requests to the own href', () => {
    const paths = new RemotePaths('http://127.0.0.1:1/user/contacts/');
    paths.useNames(new MemberNames('.vcf', []));
    expect(paths.pathOf('/user/contacts/x%3ay')).toEqual({ path: 'x:y.vcf', slash: false });
    expect(paths.pathOf('http://127.0.0.1:1/user/contacts/x:y')).toEqual({ path: 'x:y.vcf', slash: false });
    expect(paths.urlOf('x:y.vcf')).toBe('http://127.0.0.1:1/user/contacts/x%3Ay');
    expect(paths.pathOf('/user/contacts/alice.vcf')).toEqual({ path: 'alice.vcf', slash: false });
    expect(paths.urlOf('alice.vcf')).toBe('http://127.0.0.1:1/user/contacts/alice.vcf');
    expect(paths.pathOf('/user/contacts/')).toEqual({ path: '', slash: true });
    expect(paths.pathOf('/user/contacts/sub/')).toEqual({ path: 'sub', slash: true });
    expect(paths.pathOf('/user/other/c-1')).toBeUndefined();
  });
});
