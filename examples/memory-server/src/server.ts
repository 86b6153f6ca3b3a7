import { createServer, type Server } from 'node:http';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { davsync } from '@davsync/express';

/** Starts a davsync server over an in-memory store; resolves once it listens. */
export async function startMemoryServer(port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  const server = createServer(davsync({ adapter: new MemoryAdapter() }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return { server, url: `http://${host}:${actual}/` };
}
