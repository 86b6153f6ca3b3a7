/** Reading `ds:chunk-hashes`: a list the client can reproduce is taken; anything it cannot check is no list. */
import { describe, expect, it } from '@jest/globals';
import { FASTCDC_CHUNKER, parseXml } from '@davsync/protocol';
import { CHUNK_HASHES, parseChunkList } from '../src/remote/remote-chunks';

const H = 'a'.repeat(64);
const G = 'b'.repeat(64);

async function element(fields: Record<string, string>): Promise<Awaited<ReturnType<typeof parseXml>>> {
  const children = Object.entries(fields)
    .map(([k, v]) => `<ds:${k}>${v}</ds:${k}>`)
    .join('');
  const root = await parseXml(`<ds:chunk-hashes xmlns:ds="https://davsync.dev/ns">${children}</ds:chunk-hashes>`);
  expect(root.name).toBe(CHUNK_HASHES);
  return root;
}

const good = { chunker: FASTCDC_CHUNKER, 'min-size': '2048', 'avg-size': '8192', 'max-size': '32768', algorithm: 'sha256', chunks: `0:5000:${H} 5000:300:${G.toUpperCase()}` };

describe('parseChunkList', () => {
  it('takes a list that tiles the file, hashes lowercased', async () => {
    expect(parseChunkList(await element(good), 5300)).toEqual({
      params: { min: 2048, avg: 8192, max: 32768 },
      chunks: [
        { offset: 0, length: 5000, hash: H },
        { offset: 5000, length: 300, hash: G },
      ],
    });
    expect(parseChunkList(await element({ ...good, chunks: '' }), 0)).toEqual({ params: { min: 2048, avg: 8192, max: 32768 }, chunks: [] });
  });

  it('refuses what it cannot reproduce or check', async () => {
    const bad: Array<[Record<string, string>, number]> = [
      [good, 5301], // does not cover the file
      [{ ...good, chunker: 'rabin' }, 5300],
      [{ ...good, algorithm: 'md5' }, 5300],
      [{ ...good, 'avg-size': '8000' }, 5300], // not a power of two
      [{ ...good, 'max-size': String(2 ** 40) }, 5300],
      [{ ...good, chunks: `0:5000:${H} 5001:299:${G}` }, 5300], // a gap
      [{ ...good, chunks: `0:5300:${H}`.replace('5300', '40000') }, 40000], // longer than max
      [{ ...good, chunks: `0:0:${H} 0:5300:${G}` }, 5300], // empty chunk
      [{ ...good, chunks: `0:5300:xyz` }, 5300],
    ];
    for (const [fields, size] of bad) expect(parseChunkList(await element(fields), size)).toBeUndefined();
  });
});
