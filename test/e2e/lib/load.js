'use strict';
// Many clients at once (issue 23), for the clients benchmark
// (test/bench/clients/) and the stop-under-load test: writers and readers
// through the official driver, each loop on a connection of its own,
// every acknowledged write remembered so that it can be looked for on the
// upstream and on its replica afterwards.
//
// A world is cluster A (one server, the plugin) holding database `load`,
// and cluster B (one server, the plugin) with `load-replica` pulling from it.
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { Worker } = require('node:worker_threads');
const { neo4j, eventually } = require('./driver');
const { generateCertificates, removeCertificates, startDrClusters, waitCaughtUp, createReplicaQuery } = require(
  './clusters',
);

const DB = 'load';
const REPLICA_DB = 'load-replica';
const CONNECTIONS_PER_DRIVER = 100;

// The two clusters, `load` on A with a few Config nodes the readers read,
// and its replica on B, caught up. `settings` go to both clusters.
async function startWorld({ settings = {} } = {}) {
  const certs = await generateCertificates();
  let A;
  let B;
  try {
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 1, settings }],
      ['clusterB', { certs, servers: 1, settings }],
    ]);
    await A.system(`CREATE DATABASE ${DB} WAIT`);
    await A.waitOnline(DB);
    const d = A.driver(A.bolt(0));
    await d.executeQuery('UNWIND range(1, 10) AS i CREATE (:Config {i: i, v: "value " + i})', {}, { database: DB });
    await B.system(createReplicaQuery(), {
      name: REPLICA_DB,
      primaries: neo4j.int(1),
      secondaries: neo4j.int(0),
      remote: DB,
      addresses: A.clusterAddresses,
    });
    await B.waitOnline(REPLICA_DB);
    await waitCaughtUp(A, DB, B, REPLICA_DB, 60_000);
  } catch (e) {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
    throw e;
  }
  return {
    A,
    B,
    async stop() {
      await Promise.all([A.stop(), B.stop()]);
      removeCertificates(certs);
    },
  };
}

// Memory of a process: VmRSS (with the store's mapped file pages) and
// RssAnon (what it allocated), in KiB.
function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key) => Number((status.match(new RegExp(`^${key}:\\s+(\\d+)`, 'm')) || [0, 0])[1]);
    return { rss: kib('VmRSS'), anon: kib('RssAnon') };
  } catch {
    return null;
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) {
    return NaN;
  }
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// The acknowledged writes: writer id -> highest contiguous... every n, as a Set of `${w}:${n}`.
class Acks {
  constructor() {
    this.keys = new Set();
  }
  add(w, n) {
    this.keys.add(`${w}:${n}`);
  }
  get size() {
    return this.keys.size;
  }
}

// Runs `writers` writer loops (CREATE (:W {w, n}) in a managed transaction,
// executeQuery) in this thread and `readers` reader loops (a READ
// transaction over the Config nodes) in `readerThreads` worker threads
// against `url` for `seconds`. Loops are spread over drivers of
// CONNECTIONS_PER_DRIVER connections each, so `writers + readers` is the
// number of connections. `writerBase` keeps writer ids unique across phases.
// `pid`: the server process, sampled for memory. `stopSignal`: a promise
// that ends the phase early (a SIGTERM test). `readerPauseMs`: a reader
// waits a random 0..2x this between reads, as an application does between
// requests. Resolves to the figures.
async function runPhase({
  url,
  password,
  writers,
  readers,
  seconds,
  writerBase = 0,
  acks,
  pid,
  driverConfig = {},
  stopSignal,
  readerPauseMs = 0,
  readerThreads = 4,
}) {
  const drivers = [];
  for (let i = 0; i < Math.max(1, Math.ceil(writers / CONNECTIONS_PER_DRIVER)); i++) {
    drivers.push(
      neo4j.driver(url, neo4j.auth.basic('neo4j', password), {
        maxConnectionPoolSize: CONNECTIONS_PER_DRIVER + 10,
        connectionAcquisitionTimeout: 120_000,
        maxTransactionRetryTime: 30_000,
        logging: { level: 'error', logger: () => {} },
        ...driverConfig,
      }),
    );
  }
  const writeLatencies = [];
  const readLatencies = [];
  const errors = {}; // code -> {count, retryable}
  let reads = 0;
  let stopped = false;
  let windowEnd = Infinity;
  const started = performance.now();
  let ackedInWindow = 0;

  const note = (e) => {
    const code = e.code || String(e);
    const entry = (errors[code] = errors[code] || { count: 0, retryable: Boolean(e.retryable), example: e.message });
    entry.count += 1;
  };

  const writer = async (w, d) => {
    for (let n = 0; !stopped; n++) {
      const t0 = performance.now();
      try {
        await d.executeQuery('CREATE (:W {w: $w, n: $n})', { w: neo4j.int(w), n: neo4j.int(n) }, { database: DB });
        const t1 = performance.now();
        acks.add(w, n);
        if (t1 <= windowEnd) {
          ackedInWindow += 1;
          writeLatencies.push(t1 - t0);
        }
      } catch (e) {
        note(e);
        if (stopSignal) {
          return; // the server is going away: this writer is done
        }
      }
    }
  };
  let peak = { rss: 0, anon: 0 };
  const sampler = setInterval(() => {
    const m = pid ? memoryOf(pid) : null;
    if (m) {
      peak = { rss: Math.max(peak.rss, m.rss), anon: Math.max(peak.anon, m.anon) };
    }
  }, 500);

  const running = [];
  for (let i = 0; i < writers; i++) {
    running.push(writer(writerBase + i, drivers[Math.floor(i / CONNECTIONS_PER_DRIVER)]));
  }
  // Readers run in worker threads of their own (lib/load_readers.js).
  const readerWorkers = [];
  const threads = Math.min(readerThreads, readers);
  for (let t = 0; t < threads; t++) {
    const share = Math.floor(readers / threads) + (t < readers % threads ? 1 : 0);
    readerWorkers.push(
      new Worker(path.join(__dirname, 'load_readers.js'), {
        workerData: { url, password, database: DB, readers: share, readerPauseMs, driverConfig },
      }),
    );
  }
  let timeout;
  const timer = new Promise((resolve) => {
    timeout = setTimeout(resolve, seconds * 1000);
  });
  await Promise.race([timer, stopSignal ?? timer]);
  clearTimeout(timeout);  // a stop signal came first: the timer must not keep the process alive
  windowEnd = performance.now();
  stopped = true;
  const readerResults = await Promise.all(
    readerWorkers.map(
      (w) =>
        new Promise((resolve, reject) => {
          w.once('message', (m) => {
            resolve(m);
            w.terminate();
          });
          w.once('error', reject);
          w.postMessage('stop');
        }),
    ),
  );
  await Promise.all(running);
  clearInterval(sampler);
  await Promise.all(drivers.map((d) => d.close()));
  for (const r of readerResults) {
    reads += r.reads;
    for (const l of r.latencies) {
      readLatencies.push(l);
    }
    for (const [code, e] of Object.entries(r.errors)) {
      const entry = (errors[code] = errors[code] || { count: 0, retryable: e.retryable, example: e.example });
      entry.count += e.count;
    }
  }

  const elapsed = (windowEnd - started) / 1000;
  writeLatencies.sort((a, b) => a - b);
  readLatencies.sort((a, b) => a - b);
  return {
    writers,
    readers,
    seconds: elapsed,
    commits: ackedInWindow,
    commitsPerSecond: ackedInWindow / elapsed,
    writeP50: percentile(writeLatencies, 50),
    writeP99: percentile(writeLatencies, 99),
    reads,
    readsPerSecond: reads / elapsed,
    readP50: percentile(readLatencies, 50),
    readP99: percentile(readLatencies, 99),
    errors,
    peakMemory: peak,
  };
}

// Every acknowledged write as present on `cluster`'s `db` (one query,
// streamed): {present, missing: first few missing keys, nodes}.
async function checkAcks(cluster, db, acks) {
  const d = cluster.driver(cluster.bolt(0));
  const found = new Set();
  const session = d.session({ database: db, defaultAccessMode: neo4j.session.READ });
  try {
    const result = await session.run('MATCH (n:W) RETURN n.w AS w, n.n AS n');
    for (const r of result.records) {
      found.add(`${r.get('w')}:${r.get('n')}`);
    }
  } finally {
    await session.close();
  }
  const missing = [];
  for (const k of acks.keys) {
    if (!found.has(k)) {
      missing.push(k);
    }
  }
  return { present: acks.size - missing.length, missing: missing.slice(0, 10), missingCount: missing.length, nodes: found.size };
}

// The errors a phase saw that the driver would not retry.
function nonRetryable(errors) {
  return Object.entries(errors).filter(([, e]) => !e.retryable);
}

module.exports = {
  DB,
  REPLICA_DB,
  Acks,
  startWorld,
  runPhase,
  checkAcks,
  nonRetryable,
  memoryOf,
  waitCaughtUp,
  eventually,
};
