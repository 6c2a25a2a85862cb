'use strict';
// The upstream sees its replicas (issue 17, item 2):
// internal.dbms.showReplicaSubscriptions on the upstream's cluster lists the
// replica members subscribed to its databases, whichever server of the
// cluster serves them, asked through any server (here one that serves none).
// Cluster A: 3 servers, foo on 2 of them, keeping only its newest 10
// transactions (so a late replica needs a store copy). Cluster B: 2 servers;
// rep-a (2 members) lists A's hosting servers one way, rep-b (1 member) the
// other way, so they pull from different servers of A. Fan-out is off
// (replicaConfig fanOut false): each member subscribes to A itself, as
// members in different regions would.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
  generateCertificates,
  removeCertificates,
  startDrClusters,
  waitCaughtUp,
} = require('./lib/clusters');
const { neo4j, query, failure, eventually } = require('./lib/driver');

const RETAINED = 10;
const FAILED = 'Neo.ClientError.Procedure.ProcedureCallFailed';
const SHOW = 'CALL internal.dbms.showReplicaSubscriptions';

describe('internal.dbms.showReplicaSubscriptions', () => {
  let certs;
  let A;
  let B;
  let hostingIds; // server ids of A's servers with a member of foo, in SHOW DATABASE order
  let hostingCluster; // their cluster addresses, in the same order
  let bystander; // Bolt URL of A's server without a member of foo
  let bServerIds;

  const clusterAddressOf = (bolt) => A.clusterAddresses[A.boltAddresses.indexOf(bolt)];

  // The rows, through A's server that serves no subscription.
  async function rows(arg) {
    const d = A.driver(bystander);
    return query(d, `${SHOW}(${arg ?? ''})`, {}, { database: 'system' });
  }
  const plain = (r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, neo4j.isInt(v) ? v.toNumber() : v]));

  async function writeTxs(n) {
    const d = A.driver();
    for (let i = 0; i < n; i++) {
      await query(d, 'CREATE (:Item {i: $i})', { i: neo4j.int(i) }, { database: 'foo' });
    }
  }

  function create(name, primaries, addresses) {
    return B.system(
      'CALL internal.dbms.createReplicaDatabase($name, $primaries, $secondaries, {remote: $remote, addresses: $addresses, fanOut: false})',
      { name, primaries: neo4j.int(primaries), secondaries: neo4j.int(0), remote: 'foo', addresses },
    );
  }

  // The lowest tx id every hosting server of A keeps in foo's log (CSV metrics).
  function lowestRetained() {
    return Math.min(
      ...hostingIds.map((id) => {
        const file = path.join(A.home, 'metrics', id, 'neo4j.database.foo.transaction.lowest_available_committed_tx_id.csv');
        if (!fs.existsSync(file)) {
          return 0;
        }
        const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
        return Number(lines[lines.length - 1].split(',')[1]);
      }),
    );
  }

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 3, settings: { 'db.tx_log.rotation.retention_policy': `${RETAINED} txs` } }],
      ['clusterB', { certs, servers: 2 }],
    ]);
    await A.system('CREATE DATABASE foo TOPOLOGY 2 PRIMARIES WAIT');
    const members = await A.system('SHOW DATABASE foo YIELD serverID, address RETURN serverID, address');
    hostingIds = members.map((r) => r.serverID);
    hostingCluster = members.map((r) => clusterAddressOf(r.address));
    const hostingBolt = members.map((r) => r.address);
    bystander = `bolt://${A.boltAddresses.find((a) => !hostingBolt.includes(a))}`;
    bServerIds = (await B.system('SHOW SERVERS YIELD serverId RETURN serverId')).map((r) => r.serverId).sort();
    assert.equal(hostingIds.length, 2);
    assert.equal(bServerIds.length, 2);
    await create('rep-a', 2, [hostingCluster[0], hostingCluster[1]]);
    await create('rep-b', 1, [hostingCluster[1], hostingCluster[0]]);
    await B.waitOnline('rep-a', 2);
    await B.waitOnline('rep-b', 1);
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('one row per subscribed replica member, from every server of the cluster', async () => {
    const started = Date.now();
    const all = (await eventually(async () => {
      const r = await rows();
      return r.length === 3 ? r : null;
    }, { what: 'three subscriptions' })).map(plain);
    for (const r of all) {
      assert.equal(r.upstreamDatabase, 'foo');
      assert.equal(r.error, null);
      assert.ok(hostingIds.includes(r.upstreamServerId), JSON.stringify(r));
      assert.equal(r.upstreamAddress, hostingCluster[hostingIds.indexOf(r.upstreamServerId)]);
      assert.ok(bServerIds.includes(r.replicaServerId), JSON.stringify(r));
      assert.match(r.remoteAddress, /^127\.0\.0\.1:\d+$/);
      assert.ok(r.connectedSince > started - 120_000 && r.connectedSince <= Date.now(), JSON.stringify(r));
      assert.equal(r.storeCopiesServed, 0);
    }
    // One replica cluster, not A's.
    assert.equal(new Set(all.map((r) => r.replicaClusterId)).size, 1);
    const a = all.filter((r) => r.replicaDatabase === 'rep-a');
    const b = all.filter((r) => r.replicaDatabase === 'rep-b');
    assert.equal(a.length, 2);
    assert.equal(b.length, 1);
    assert.deepEqual(a.map((r) => r.replicaServerId).sort(), bServerIds);
    // Each pulls from the first server its addresses list (the next only if
    // that one fails): rep-a from one server of A, rep-b from the other.
    assert.deepEqual(a.map((r) => r.upstreamServerId), [hostingIds[0], hostingIds[0]]);
    assert.equal(b[0].upstreamServerId, hostingIds[1]);
    assert.deepEqual([...new Set(all.map((r) => r.upstreamServerId))].sort(), [...hostingIds].sort());
  });

  test('acknowledged tx reaches the upstream last tx after writes, lag 0, bytes grow', async () => {
    const before = new Map((await rows()).map(plain).map((r) => [`${r.replicaDatabase}@${r.replicaServerId}`, r]));
    await writeTxs(5);
    const tx = await waitCaughtUp(A, 'foo', B, 'rep-a');
    await waitCaughtUp(A, 'foo', B, 'rep-b');
    const after = (await eventually(async () => {
      const r = (await rows()).map(plain);
      return r.length === 3 && r.every((x) => x.acknowledgedTx === tx && x.lagTx === 0) ? r : null;
    }, { what: `every acknowledgedTx at ${tx}` }));
    for (const r of after) {
      assert.equal(r.upstreamLastTx, tx);
      assert.equal(r.lagSeconds, 0);
      const earlier = before.get(`${r.replicaDatabase}@${r.replicaServerId}`);
      assert.ok(earlier, `${r.replicaDatabase}@${r.replicaServerId} listed before the writes`);
      assert.equal(r.connectedSince, earlier.connectedSince);
      assert.ok(r.bytesSent > earlier.bytesSent && r.bytesSent > 0, `${earlier.bytesSent} -> ${r.bytesSent}`);
    }
  });

  test('a store copy served to a new replica member is counted', async () => {
    await writeTxs(3 * RETAINED);
    await eventually(() => lowestRetained() > 1, { timeoutMs: 15_000, what: 'foo pruned past tx 1' });
    await create('rep-c', 1, [hostingCluster[0]]);
    await B.waitOnline('rep-c', 1);
    const tx = await waitCaughtUp(A, 'foo', B, 'rep-c');
    const c = await eventually(async () => {
      const r = (await rows("'foo'")).map(plain).filter((x) => x.replicaDatabase === 'rep-c');
      return r.length === 1 && r[0].acknowledgedTx === tx ? r[0] : null;
    }, { what: 'rep-c subscribed at the last tx' });
    assert.equal(c.storeCopiesServed, 1);
    assert.equal(c.upstreamServerId, hostingIds[0]);
    assert.equal(c.lagTx, 0);
    const others = (await rows()).map(plain).filter((x) => x.replicaDatabase !== 'rep-c');
    assert.equal(others.length, 3);
    assert.ok(others.every((x) => x.storeCopiesServed === 0));
  });

  test('one database: its rows; a database without subscriptions or none at all: no rows', async () => {
    const foo = await rows("'foo'");
    assert.equal(foo.length, 4);
    const key = (r) => `${r.upstreamDatabase}:${r.replicaDatabase}@${r.replicaServerId}`;
    assert.deepEqual((await rows("'FOO'")).map(key), foo.map(key)); // names are case-insensitive
    assert.deepEqual(await rows("'system'"), []);
    assert.deepEqual(await rows("'no-such-db'"), []);
    assert.equal((await rows('null')).length, 4);
  });

  test('bad input: a clear error', async () => {
    const session = A.driver(bystander).session({ database: 'system' });
    try {
      let e = await failure(session.run(`${SHOW}(42)`));
      assert.equal(e.code, FAILED, e.message);
      assert.match(e.message, /Type mismatch for argument 'databaseName'.*expected STRING but was INTEGER/);
      e = await failure(session.run(`${SHOW}('foo', 'bar')`));
      assert.equal(e.code, FAILED, e.message);
      assert.match(e.message, /required number of arguments: got 2 expected at most 1|got 2/);
      e = await failure(session.run(`${SHOW}('bad name!')`));
      assert.equal(e.code, FAILED, e.message);
      assert.match(e.message, /bad name!/);
    } finally {
      await session.close();
    }
  });
});
