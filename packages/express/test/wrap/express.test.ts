/**
 * Wrap mode in front of an Express host, under a mount point, with the
 * host's body parser after davsync (the bodies davsync looks into must still
 * reach it) and before it (davsync reads what the parser kept).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import express4 from 'express4';
import { davsyncWrap, type DavsyncWrap } from '@davsync/express';
import { closeServer, listen, syncBody } from '../support/server';
import { D, dav, multistatus, propfindBody, textOf, XML_HEADERS } from '../support/dav';

type App = ReturnType<typeof express>;

/** A small Express CardDAV-ish host: text bodies via express.text(). */
function hostRouter(files: Map<string, string>, seen: string[]) {
  const router = express.Router();
  const pathOf = (req: express.Request) => decodeURIComponent(req.path).replace(/\/+$/, '');
  router.put(/.*/, (req, res) => {
    files.set(pathOf(req), String(req.body));
    seen.push(`PUT ${pathOf(req)} ${String(req.body)}`);
    // res.send() makes Express add its own weak ETag of the response body:
    // not the resource's ETag, so davsync must ask etagOf instead.
    res.status(201).send('created');
  });
  router.all(/.*/, (req, res, next) => {
    if (req.method === 'REPORT') {
      seen.push(`REPORT ${String(req.body)}`);
      res.status(207).type('application/xml').send('<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"/>');
    } else if (req.method === 'PROPFIND') {
      seen.push(`PROPFIND ${String(req.body).length > 0 ? 'with body' : 'empty'}`);
      const href = `${req.baseUrl}${req.path}`;
      res
        .status(207)
        .type('application/xml')
        .send(
          `<?xml version="1.0"?><multistatus xmlns="DAV:"><response><href>${href}</href>` +
            '<propstat><prop><resourcetype><collection/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat>' +
            '<propstat><prop><sync-token/></prop><status>HTTP/1.1 404 Not Found</status></propstat></response></multistatus>',
        );
    } else next();
  });
  return router;
}

async function exercise(app: App, wrap: DavsyncWrap, files: Map<string, string>, seen: string[]): Promise<void> {
  const { server, origin } = await listen(app);
  try {
    await wrap.record({ path: '/book', collection: true });
    expect((await dav(`${origin}/dav/book/a.vcf`, 'PUT', { body: 'alpha' })).status).toBe(201);
    expect(files.get('/book/a.vcf')).toBe('alpha');

    const r = await dav(`${origin}/dav/book/`, 'REPORT', { headers: XML_HEADERS, body: syncBody(null, '1') });
    expect(r.status).toBe(207);
    const ms = await multistatus(r.text);
    expect(ms.hrefs).toEqual(['/dav/book/a.vcf']);
    expect(textOf(ms.get('/dav/book/a.vcf').prop(D('getetag')))).toBe('"etag-of-/book/a.vcf"');

    const query = '<C:addressbook-query xmlns:C="urn:ietf:params:xml:ns:carddav"/>';
    expect((await dav(`${origin}/dav/book/`, 'REPORT', { headers: XML_HEADERS, body: query })).status).toBe(207);
    expect(seen.at(-1)).toBe(`REPORT ${query}`);

    const pf = await dav(`${origin}/dav/book/`, 'PROPFIND', { headers: { ...XML_HEADERS, depth: '0' }, body: propfindBody('<D:resourcetype/><D:sync-token/>') });
    expect(seen.at(-1)).toBe('PROPFIND with body');
    const book = (await multistatus(pf.text)).get('/dav/book/');
    expect(textOf(book.prop(D('sync-token')))).toBe(ms.syncToken);
    expect(book.propstats.map((p) => p.status)).toEqual([200]);
  } finally {
    await closeServer(server);
  }
}

let wrap: DavsyncWrap | undefined;
afterEach(async () => {
  await wrap?.close();
});

describe('wrap mode under Express', () => {
  it('Express 5, davsync mounted at /dav before the host and its body parser', async () => {
    const files = new Map<string, string>();
    const seen: string[] = [];
    wrap = davsyncWrap({ tracked: '/book', etagOf: (p) => `"etag-of-${p}"` });
    const app = express();
    app.use('/dav', wrap);
    app.use('/dav', express.text({ type: '*/*' }), hostRouter(files, seen));
    await exercise(app, wrap, files, seen);
  });

  it('Express 4, with the host body parser in front of davsync', async () => {
    const files = new Map<string, string>();
    const seen: string[] = [];
    wrap = davsyncWrap({ tracked: '/book', etagOf: (p) => `"etag-of-${p}"` });
    const app = express4();
    app.use(express4.text({ type: '*/*' }));
    app.use('/dav', wrap);
    app.use('/dav', hostRouter(files, seen));
    await exercise(app as unknown as App, wrap, files, seen);
  });
});
