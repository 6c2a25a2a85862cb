'use strict';
// A replica survives its own crash and its upstream's restart, and a new
// replica of a database whose log was pruned gets there by a store copy.
// Cluster A: 1 server keeping only its newest 10 transactions
// (db.tx_log.rotation.retention_policy=10 txs); cluster B: 1 server.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
  generateCertificates,
  removeCertificates,
  startDrClusters,
  waitCaughtUp,
  createReplicaQuery,
} = require('./lib/clusters');
const { neo4j, query, eventually } = require('./lib/driver');

const RETAINED = 10;
const READ = neo4j.session.READ;

async function count(cluster, database) {
  const rows = await query(cluster.driver(), 'MATCH (n:Item) RETURN count(n) AS n', {}, {
    database,
    defaultAccessMode: READ,
  });
  return rows[0].n.toNumber();
}

// `n` transactions of one node each on `db`.
async function writeTxs(cluster, db, n, from) {
  const d = cluster.driver();
  for (let i = 0; i < n; i++) {
    await query(d, 'CREATE (:Item {seq: $seq})', { seq: neo4j.int(from + i) }, { database: db });
  }
}

// The lines of HOME/logs/debug.log written after `offset` bytes.
function logSince(cluster, offset) {
  const text = fs.readFileSync(path.join(cluster.home, 'logs', 'debug.log'), 'utf8');
  return text.slice(offset);
}
function logSize(cluster) {
  return fs.statSync(path.join(cluster.home, 'logs', 'debug.log')).size;
}

// The last value of a single-server CSV metric, or undefined.
function metric(cluster, name) {
  const file = path.join(cluster.home, 'metrics', `${name}.csv`);
  if (!fs.existsSync(file)) {
    return undefined;
  }
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  return Number(lines[lines.length - 1].split(',')[1]);
}

function createReplica(B, name, remote, A) {
  return B.system(createReplicaQuery(), {
    name,
    primaries: neo4j.int(1),
    secondaries: neo4j.int(0),
    remote,
    addresses: A.clusterAddresses,
  });
}

describe('replica recovery', () => {
  let certs;
  let A;
  let B;

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 1, settings: { 'db.tx_log.rotation.retention_policy': `${RETAINED} txs` } }],
      ['clusterB', { certs, servers: 1 }],
    ]);
    await A.system('CREATE DATABASE foo WAIT');
    await writeTxs(A, 'foo', 3, 1);
    await createReplica(B, 'foo-replica', 'foo', A);
    await B.waitOnline('foo-replica', 1);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('the replica\'s process killed with SIGKILL and restarted resumes from its last applied tx', async () => {
    const applied = (await B.txIds('foo-replica'))[0];
    await B.kill();
    await writeTxs(A, 'foo', 4, 100); // fewer than the retained 10: no store copy is needed
    const offset = logSize(B);
    await B.start();
    const tx = await waitCaughtUp(A, 'foo', B, 'foo-replica');
    assert.equal(tx, applied + 4);
    assert.equal(await count(B, 'foo-replica'), await count(A, 'foo'));
    assert.equal(await count(B, 'foo-replica'), 7);
    const log = logSince(B, offset);
    assert.match(log, new RegExp(`replica 'foo-replica' pulls 'foo' from \\S+ starting at tx ${applied + 1}\\b`));
    assert.doesNotMatch(log, /store copy/);
  });

  test('the replica killed while transactions stream in converges after its restart', async () => {
    const start = (await B.txIds('foo-replica'))[0];
    const writing = writeTxs(A, 'foo', 60, 300);
    // Kill once it has applied some of the burst, not all.
    await eventually(async () => (await B.txIds('foo-replica'))[0] > start + 5, { intervalMs: 20 });
    await B.kill();
    await writing;
    await B.start();
    const tx = await waitCaughtUp(A, 'foo', B, 'foo-replica');
    assert.equal(tx, start + 60);
    assert.equal(await count(B, 'foo-replica'), await count(A, 'foo'));
    const seqs = await query(B.driver(), 'MATCH (n:Item) WHERE n.seq >= 300 RETURN count(n) AS n', {}, {
      database: 'foo-replica',
      defaultAccessMode: READ,
    });
    assert.equal(seqs[0].n.toNumber(), 60);
  });

  test('the upstream restarted: the replica reconnects and converges', async () => {
    const offset = logSize(B);
    await A.restart();
    await writeTxs(A, 'foo', 2, 200);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
    assert.equal(await count(B, 'foo-replica'), 69);
    const log = logSince(B, offset);
    assert.match(log, /replica 'foo-replica' disconnected: /);
    assert.match(log, /replica 'foo-replica' pulls 'foo' from /);
    const rows = await B.system('SHOW DATABASE `foo-replica` YIELD statusMessage, replicationLag');
    assert.match(rows[0].statusMessage, /pulling from/);
  });

  test('a pruned upstream log forces a store copy on a new replica, which converges', async () => {
    await A.system('CREATE DATABASE bar WAIT');
    await writeTxs(A, 'bar', 3 * RETAINED, 1);
    // The maintenance pass prunes every second: wait until tx 1 is gone.
    await eventually(() => (metric(A, 'neo4j.database.bar.transaction.lowest_available_committed_tx_id') ?? 0) > 1, {
      timeoutMs: 15_000,
    });
    const offset = logSize(B);
    await createReplica(B, 'bar-replica', 'bar', A);
    const tx = await waitCaughtUp(A, 'bar', B, 'bar-replica');
    assert.ok(tx >= 3 * RETAINED, `bar at tx ${tx}`);
    assert.equal(await count(B, 'bar-replica'), 3 * RETAINED);
    const log = logSince(B, offset);
    assert.match(log, /replica 'bar-replica' needs tx 1 but the log of 'bar' on \S+ starts at tx \d+: store copy/);
    assert.match(log, /replica 'bar-replica' imported the snapshot of 'bar' at tx \d+/);
    await eventually(() => metric(B, 'neo4j.database.bar-replica.ccdr.replica.store_copies') === 1, {
      timeoutMs: 10_000,
    });
    // After the copy it streams: a new transaction arrives as usual.
    await writeTxs(A, 'bar', 1, 1000);
    await waitCaughtUp(A, 'bar', B, 'bar-replica');
    assert.equal(await count(B, 'bar-replica'), 3 * RETAINED + 1);
  });

  // Regression: the upstream streamed by name, so a database dropped and
  // created again under the same name kept feeding the old subscription
  // (heartbeats from the new lineage; its transactions once past the old
  // position). Now the stream ends at the drop and the member fails on the
  // lineage check.
  test('upstream dropped and created again under the same name: the replica fails on lineage, applies nothing', async () => {
    const applied = (await B.txIds('foo-replica'))[0];
    const items = await count(B, 'foo-replica');
    await A.system('DROP DATABASE foo WAIT');
    await A.system('CREATE DATABASE foo WAIT');
    // More transactions than the replica has: the new lineage passes its position.
    await query(A.driver(), 'UNWIND range(1, 3) AS i CREATE (:Other {i: i})', {}, { database: 'foo' });
    await writeTxs(A, 'foo', applied + 2, 5000);
    const rows = await eventually(async () => {
      const r = await B.system('SHOW DATABASE `foo-replica` YIELD statusMessage, lastCommittedTxn');
      return /^failed: .*lineage mismatch/.test(r[0].statusMessage) ? r : null;
    }, { timeoutMs: 15_000 });
    assert.match(rows[0].statusMessage, /this replica has store id \S+ and epoch \d+, 'foo' on \S+ has store id \S+/);
    assert.equal(Number(rows[0].lastCommittedTxn), applied);
    assert.equal(await count(B, 'foo-replica'), items);
    const other = await query(B.driver(), 'MATCH (n:Other) RETURN count(n) AS n', {}, {
      database: 'foo-replica',
      defaultAccessMode: READ,
    });
    assert.equal(other[0].n.toNumber(), 0);
  });
});
