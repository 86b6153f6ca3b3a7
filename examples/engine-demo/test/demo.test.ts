import { expect, it } from '@jest/globals';
import { runDemo } from '../src/demo';

it('shows an initial sync, an exact delta and an idle sync', async () => {
  const lines = await runDemo();
  const text = lines.join('\n');
  expect(text).toMatch(/initial sync[^\n]*\n  changed \/contacts\/alice\.vcf[^\n]*\n  changed \/contacts\/bob\.vcf/);
  const delta = text.slice(text.indexOf('delta after'));
  expect(delta).toMatch(/changed \/contacts\/bob\.vcf[\s\S]*changed \/contacts\/carol\.vcf[\s\S]*removed \/contacts\/alice\.vcf/);
  expect(text).toContain('up-to-date sync: 0 changes, same token: true');
});
