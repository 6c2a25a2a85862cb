'use strict';
// A worker thread of readers for lib/load.js: its own event loop, so that
// reader callbacks do not delay the writers' COMMITs in the main thread
// (a writer holds the database's write lock from its RUN to its COMMIT).
// workerData: {url, password, database, readers, readerPauseMs, driverConfig}.
// A read is an auto-commit READ query (one round trip: RUN and PULL): the
// driver's managed transactions cost the client twice the work per read,
// and the client, not the server, is what runs out of CPU first here.
// Message 'stop' ends the loops; the reply is {reads, latencies, errors}.
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const neo4j = require('neo4j-driver');

const PER_DRIVER = 100;
const { url, password, database, readers, readerPauseMs, driverConfig } = workerData;
const drivers = [];
for (let i = 0; i < Math.max(1, Math.ceil(readers / PER_DRIVER)); i++) {
  drivers.push(
    neo4j.driver(url, neo4j.auth.basic('neo4j', password), {
      maxConnectionPoolSize: PER_DRIVER + 10,
      connectionAcquisitionTimeout: 120_000,
      maxTransactionRetryTime: 30_000,
      logging: { level: 'error', logger: () => {} },
      ...driverConfig,
    }),
  );
}
let stopped = false;
let reads = 0;
const latencies = [];
const errors = {};
const pause = () =>
  readerPauseMs > 0 ? new Promise((r) => setTimeout(r, Math.random() * 2 * readerPauseMs)) : Promise.resolve();

async function reader(d) {
  const session = d.session({ database, defaultAccessMode: neo4j.session.READ });
  while (!stopped) {
    await pause();
    if (stopped) {
      break;
    }
    const t0 = performance.now();
    try {
      await session.run('MATCH (c:Config) RETURN count(c) AS n');
      if (!stopped) {
        reads += 1;
        latencies.push(performance.now() - t0);
      }
    } catch (e) {
      const code = e.code || String(e);
      const entry = (errors[code] = errors[code] || { count: 0, retryable: Boolean(e.retryable), example: e.message });
      entry.count += 1;
    }
  }
  await session.close();
}

const running = [];
for (let i = 0; i < readers; i++) {
  running.push(reader(drivers[Math.floor(i / PER_DRIVER)]));
}
parentPort.on('message', async (m) => {
  if (m !== 'stop') {
    return;
  }
  stopped = true;
  const counted = { reads, latencies: Float64Array.from(latencies), errors };
  await Promise.all(running);
  await Promise.all(drivers.map((d) => d.close()));
  parentPort.postMessage(counted, [counted.latencies.buffer]);
});
