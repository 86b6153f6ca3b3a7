import { startMemoryServer } from './server';

const port = Number(process.env['PORT'] ?? 8080);
startMemoryServer(port).then(
  ({ server, url }) => {
    console.log(`davsync listening on ${url} (memory)`);
    const stop = () => server.close(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (err: NodeJS.ErrnoException) => {
    console.error(`davsync: cannot listen on port ${port}: ${err.code ?? err.message}`);
    process.exit(1);
  },
);
