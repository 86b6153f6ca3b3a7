// Runs the walk-through against a throwaway in-memory server of its own.
// To run it against a server you started: bash walkthrough.sh http://127.0.0.1:8080
import { MemoryAdapter } from '@davsync/adapter-memory';
import { davsync } from '@davsync/express';
import { listenOnLoopback, runWalkthrough } from './run';

async function main(): Promise<void> {
  const server = await listenOnLoopback(davsync({ adapter: new MemoryAdapter() }));
  try {
    console.log(`(a davsync server on ${server.url}/, in memory)\n`);
    process.stdout.write(await runWalkthrough(server.url));
  } finally {
    await server.close();
  }
}

main().catch((err: { stderr?: string; message?: string }) => {
  console.error(err.stderr || err.message || err);
  process.exitCode = 1;
});
