'use strict';
// Disaster, promotion and failback, as the CCDR documentation lays them out:
// cluster A (2 servers) holds foo, cluster B (4 servers) foo-replica on 2 of
// them; failback step 1 lists all four of B's servers, in SHOW SERVERS order,
// as the page's example lists all of B's. A is
// killed; foo-replica is promoted with internal.dbms.promoteReplicaDatabase
// (same topology). Then the five failback steps bring foo back to A and end
// with foo-new-replica in B pulling from A. Tests run in order on the same
// clusters.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  generateCertificates,
  removeCertificates,
  startDrClusters,
  lastCommittedTxMetric,
  waitCaughtUp,
  createReplicaQuery,
} = require('./lib/clusters');
const { neo4j, query, failure, eventually } = require('./lib/driver');

const FAILED = 'Neo.ClientError.Procedure.ProcedureCallFailed';

async function count(d, database, access = neo4j.session.WRITE) {
  const rows = await query(d, 'MATCH (c:Customer) RETURN count(c) AS n', {}, { database, defaultAccessMode: access });
  return rows[0].n.toNumber();
}

// Retries `text` on `database` until it succeeds: a database just promoted
// needs its writer in the driver's next routing table.
async function writeEventually(d, database, text) {
  await eventually(async () => {
    await query(d, text, {}, { database });
    return true;
  }, { timeoutMs: 10_000 });
}

function createReplica(cluster, name, remote, upstream, addresses = upstream.clusterAddresses) {
  return cluster.system(createReplicaQuery(), {
    name,
    primaries: neo4j.int(2),
    secondaries: neo4j.int(0),
    remote,
    addresses,
  });
}

// Every cluster address of `cluster`, in the order SHOW SERVERS lists them.
async function inShowServersOrder(cluster) {
  const rows = await cluster.system('SHOW SERVERS YIELD address RETURN address');
  return rows.map((r) => cluster.clusterAddresses[cluster.boltAddresses.indexOf(r.address)]);
}

// SHOW DATABASE facts a promoted database must have.
async function assertStandardWithOneWriter(cluster, db, members) {
  const rows = await cluster.waitOnline(db, members);
  assert.equal(rows.filter((r) => r.writer === true).length, 1);
  for (const r of rows) {
    assert.equal(r.type, 'standard');
    assert.equal(r.access, 'read-write');
  }
  for (const r of await cluster.system(`SHOW DATABASE \`${db}\` YIELD options`)) {
    assert.equal(r.options.replicaConfig, undefined);
  }
}

describe('disaster, promotion and failback', () => {
  let certs;
  let A;
  let B;

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 2 }],
      ['clusterB', { certs, servers: 4 }],
    ]);
    await A.system('CREATE DATABASE foo TOPOLOGY 2 PRIMARIES WAIT');
    await query(A.driver(), 'UNWIND range(1, 20) AS i CREATE (:Customer {id: i})', {}, { database: 'foo' });
    await createReplica(B, 'foo-replica', 'foo', A);
    await B.waitOnline('foo-replica', 2);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('cluster A is lost (SIGKILL); the replica still serves reads', async () => {
    await A.kill();
    assert.equal(await count(B.driver(), 'foo-replica', neo4j.session.READ), 20);
    const rows = await B.show('foo-replica');
    assert.deepEqual(rows.map((r) => r.type), ['replica', 'replica']);
  });

  test('promoteReplicaDatabase keeps the topology: standard, one writer, no replicaConfig, writable', async () => {
    const tx = Math.max(...(await B.txIds('foo-replica')));
    await B.system("CALL internal.dbms.promoteReplicaDatabase('foo-replica')");
    await assertStandardWithOneWriter(B, 'foo-replica', 2);
    assert.deepEqual(await B.txIds('foo-replica'), [tx, tx]);
    await writeEventually(B.driver(), 'foo-replica', "CREATE (:Customer {id: 1000, name: 'written in B'})");
    assert.equal(await count(B.driver(), 'foo-replica'), 21);
  });

  test('promotion is one-way: a standard database, a missing one, or system cannot be promoted', async () => {
    const before = await B.names();
    let e = await failure(B.system("CALL internal.dbms.promoteReplicaDatabase('foo-replica')"));
    assert.equal(e.code, FAILED);
    assert.match(e.message, /'foo-replica' is a standard database, not a replica; promotion is one-way/);
    e = await failure(B.system("CALL internal.dbms.promoteReplicaDatabaseWithTopology('foo-replica', 1, 0)"));
    assert.equal(e.code, FAILED);
    assert.match(e.message, /not a replica/);
    e = await failure(B.system("CALL internal.dbms.promoteReplicaDatabase('missing')"));
    assert.equal(e.code, FAILED);
    assert.match(e.message, /database 'missing' does not exist/);
    e = await failure(B.system("CALL internal.dbms.promoteReplicaDatabase('system')"));
    assert.equal(e.code, FAILED);
    assert.match(e.message, /'system' is a system database/);
    assert.deepEqual(await B.names(), before);
    // Still exactly one writer: nothing changed.
    await assertStandardWithOneWriter(B, 'foo-replica', 2);
  });

  test('failback 1: A is back; its stale foo is dropped and foo is created as a replica of foo-replica', async () => {
    await A.start();
    await A.system('DROP DATABASE foo WAIT');
    const addresses = await inShowServersOrder(B);
    assert.equal(addresses.length, 4);
    assert.ok(addresses.every(Boolean), JSON.stringify(addresses));
    await createReplica(A, 'foo', 'foo-replica', B, addresses);
    const rows = await A.waitOnline('foo', 2);
    for (const r of rows) {
      assert.equal(r.type, 'replica');
      assert.equal(r.writer, false);
    }
  });

  test('failback 2 and 3: with writes stopped on foo-replica, the tx ids become exactly the same (metrics)', async () => {
    const tx = await waitCaughtUp(B, 'foo-replica', A, 'foo');
    const csv = await eventually(() => {
      const all = [...Object.values(lastCommittedTxMetric(B.home, 'foo-replica')),
        ...Object.values(lastCommittedTxMetric(A.home, 'foo'))];
      return all.length === 4 && all.every((v) => v === tx) ? all : null;
    }, { timeoutMs: 10_000 });
    assert.equal(csv.length, 4);
    assert.equal(await count(A.driver(), 'foo', neo4j.session.READ), 21);
  });

  test('failback 4: foo is promoted on A and serves writes again', async () => {
    await A.system("CALL internal.dbms.promoteReplicaDatabase('foo')");
    await assertStandardWithOneWriter(A, 'foo', 2);
    await writeEventually(A.driver(), 'foo', "CREATE (:Customer {id: 2000, name: 'back in A'})");
    assert.equal(await count(A.driver(), 'foo'), 22);
  });

  test('failback 5: foo-replica is stopped and dropped in B; foo-new-replica pulls from A', async () => {
    await B.system('STOP DATABASE `foo-replica` WAIT');
    await B.system('DROP DATABASE `foo-replica` WAIT');
    assert.ok(!(await B.names()).some((n) => n.startsWith('foo-replica@')));
    await createReplica(B, 'foo-new-replica', 'foo', A);
    await B.waitOnline('foo-new-replica', 2);
    await waitCaughtUp(A, 'foo', B, 'foo-new-replica');
    const d = B.driver();
    assert.equal(await count(d, 'foo-new-replica', neo4j.session.READ), 22);
    const rows = await query(d, 'MATCH (c:Customer) WHERE c.id >= 1000 RETURN c.name AS name ORDER BY c.id', {}, {
      database: 'foo-new-replica',
      defaultAccessMode: neo4j.session.READ,
    });
    assert.deepEqual(rows.map((r) => r.name), ['written in B', 'back in A']);
    // And it keeps following A.
    await query(A.driver(), 'CREATE (:Customer {id: 2001})', {}, { database: 'foo' });
    await waitCaughtUp(A, 'foo', B, 'foo-new-replica');
    assert.equal(await count(d, 'foo-new-replica', neo4j.session.READ), 23);
  });
});
