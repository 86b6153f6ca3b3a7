import { startKvServer } from './server';

export { KvAdapter } from './kv-adapter';
export type { CollectionRecord, FileRecord, KvRecord } from './kv-adapter';
export { startKvServer } from './server';

if (require.main === module) {
  const port = Number(process.env['PORT'] ?? 8080);
  startKvServer(port).then(
    ({ server, url }) => {
      console.log(`davsync listening on ${url} (key-value adapter)`);
      const stop = () => server.close(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: NodeJS.ErrnoException) => {
      console.error(`davsync: cannot listen on port ${port}: ${err.code ?? err.message}`);
      process.exit(1);
    },
  );
}
