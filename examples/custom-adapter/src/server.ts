import { createServer, type Server } from 'node:http';
import { davsync } from '@davsync/express';
import { KvAdapter, type KvRecord } from './kv-adapter';

/**
 * Serves a key–value map with WebDAV and RFC 6578 sync; resolves once it
 * listens. Pass the map to keep a handle on the data.
 */
export async function startKvServer(
  port: number,
  host = '127.0.0.1',
  kv: Map<string, KvRecord> = new Map(),
): Promise<{ server: Server; url: string }> {
  const server = createServer(davsync({ adapter: new KvAdapter(kv) }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return { server, url: `http://${host}:${actual}/` };
}
