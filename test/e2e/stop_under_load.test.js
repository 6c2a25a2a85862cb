'use strict';
// SIGTERM under load (issue 23): one refhost server with a replica
// attached, 100 writers and 300 readers on their own connections, and two
// clients that keep explicit transactions open (one holding the write
// lock) when the signal comes. The process must exit 0 within
// db.shutdown_transaction_end_timeout plus the time to close its stores,
// and after a restart every acknowledged commit must be on the upstream
// and, once it caught up, on the replica.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { performance } = require('node:perf_hooks');
const { neo4j } = require('./lib/driver');
const { Acks, startWorld, runPhase, checkAcks, nonRetryable, waitCaughtUp, DB, REPLICA_DB } = require('./lib/load');

const SHUTDOWN_TIMEOUT_S = 3;
let world;

before(async () => {
  world = await startWorld({ settings: { 'db.shutdown_transaction_end_timeout': `${SHUTDOWN_TIMEOUT_S}s` } });
});
after(async () => {
  await world?.stop();
});

test('SIGTERM during load: exit 0 within the bound, nothing acknowledged lost', async () => {
  const { A, B } = world;
  const acks = new Acks();
  let signalled;
  const stopSignal = new Promise((resolve) => {
    signalled = resolve;
  });
  const load = runPhase({
    url: A.bolt(0),
    password: A.password,
    writers: 100,
    readers: 300,
    readerThreads: 2,
    seconds: 120, // ended by the signal
    acks,
    stopSignal,
    driverConfig: { maxTransactionRetryTime: 2000 },
  });
  await new Promise((r) => setTimeout(r, 4000));

  // Two clients that will not finish by themselves.
  const d = neo4j.driver(A.bolt(0), neo4j.auth.basic('neo4j', A.password), { logging: { level: 'error', logger: () => {} } });
  const reading = d.session({ database: DB, defaultAccessMode: neo4j.session.READ });
  const readTx = reading.beginTransaction({ timeout: 0 });
  await readTx.run('MATCH (c:Config) RETURN count(c)');
  const writing = d.session({ database: DB });
  const writeTx = writing.beginTransaction({ timeout: 0 });
  const writeRun = writeTx.run('CREATE (:NeverCommitted)'); // may wait for the lock: do not await it

  const before = acks.size;
  const t0 = performance.now();
  process.kill(A.proc.pid, 'SIGTERM');
  const exit = await A.proc.exited;
  const took = (performance.now() - t0) / 1000;
  signalled();
  const figures = await load;
  await writeRun.catch(() => {});
  await Promise.all([readTx.close().catch(() => {}), writeTx.close().catch(() => {})]);
  await Promise.all([reading.close().catch(() => {}), writing.close().catch(() => {})]);
  await d.close();

  console.log(
    `# SIGTERM after ${before} acknowledged commits (${figures.commitsPerSecond.toFixed(0)} commit/s): exit code ` +
      `${exit.code} after ${took.toFixed(2)} s (db.shutdown_transaction_end_timeout ${SHUTDOWN_TIMEOUT_S} s); ` +
      `${acks.size} acknowledged in all; client errors ${JSON.stringify(
        Object.fromEntries(Object.entries(figures.errors).map(([k, e]) => [k, e.count])),
      )}`,
  );
  assert.equal(exit.code, 0);
  assert.equal(exit.signal, null);
  assert.ok(took < SHUTDOWN_TIMEOUT_S + 5, `stopped in ${took.toFixed(2)} s`);
  assert.deepEqual(nonRetryable(figures.errors), []);
  assert.ok(acks.size > 0);

  await A.start();
  await A.waitOnline(DB);
  const up = await checkAcks(A, DB, acks);
  assert.equal(up.missingCount, 0, `missing on the upstream: ${up.missing.join(', ')}`);
  await waitCaughtUp(A, DB, B, REPLICA_DB, 60_000);
  const down = await checkAcks(B, REPLICA_DB, acks);
  assert.equal(down.missingCount, 0, `missing on the replica: ${down.missing.join(', ')}`);
  const never = await A.driver(A.bolt(0)).executeQuery('MATCH (n:NeverCommitted) RETURN count(n) AS n', {}, {
    database: DB,
  });
  assert.equal(never.records[0].get('n').toNumber(), 0);
});
