// The servers of bench/push.js's Web Push rows — one middleware over the
// memory store, or two instances on one PostgreSQL database as two
// `davsync serve --postgres URL --push` would be — and its CPU profiler.
'use strict';
const { davsync } = require('@davsync/express');
const { MemoryAdapter } = require('@davsync/adapter-memory');
const { listen, stop } = require('./push-receiver');

/** One middleware over the memory store: `{ origin, close }`. */
async function memoryInstance(push) {
  const middleware = davsync({ adapter: new MemoryAdapter(), push });
  const { server, origin } = await listen((req, res) => middleware(req, res));
  return {
    origin,
    async close() {
      await middleware.push.close();
      await stop(server);
    },
  };
}

let postgres; // the throwaway cluster, started on first use and stopped at the end
/** Two instances on one new database, as two `davsync serve --postgres URL --push` (stores, change feeds, middlewares). */
async function postgresInstances(push) {
  const { openPostgresStore, PostgresChangeFeed } = require('@davsync/adapter-postgres');
  const { startTestPostgres } = require('@davsync/adapter-postgres/testing');
  postgres ??= await startTestPostgres({ durable: true });
  const url = await postgres.createDatabase('davsync_bench_push');
  const instances = [];
  for (let i = 0; i < 2; i++) {
    const store = await openPostgresStore({ connectionString: url, poolOptions: { max: 10 } });
    const feed = new PostgresChangeFeed({ pool: store.pool, connection: { connectionString: url }, local: store.engine.log });
    await feed.start();
    const middleware = davsync({ engine: store.engine, push: { ...push, store: store.pushRegistrations }, changeStream: { remoteChanges: feed } });
    const { server, origin } = await listen((req, res) => middleware(req, res));
    instances.push({
      origin,
      async close() {
        await middleware.push.close();
        middleware.changeStreams.close();
        await feed.close();
        await stop(server);
        await store.close();
      },
    });
  }
  const closeBoth = instances[1].close;
  instances[1].close = async () => {
    await closeBoth();
    await postgres.dropDatabase(url);
  };
  return instances;
}

/** Starts the V8 CPU profiler in this process; `stop(file)` writes the profile there. */
async function startProfile(dir) {
  const { Session } = require('node:inspector');
  const fs = require('node:fs');
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await post('Profiler.stop');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      console.log(`profile: ${file}`);
    },
  };
}

async function closePostgres() {
  await postgres?.close();
  postgres = undefined;
}

module.exports = { closePostgres, memoryInstance, postgresInstances, startProfile };
