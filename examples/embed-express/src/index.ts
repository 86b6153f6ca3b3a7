import { createServer } from 'node:http';
import { createApp, DEMO_USERS } from './app';

const port = Number(process.env['PORT'] ?? 8080);
const server = createServer(createApp());
server.once('error', (err: NodeJS.ErrnoException) => {
  console.error(`example: cannot listen on port ${port}: ${err.code ?? err.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  console.log(`example app on http://127.0.0.1:${actual}/, WebDAV at /dav/ for ${Object.keys(DEMO_USERS).join(' and ')}`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});
