'use strict';
// Changing a replica without a store copy (issue 17, item 6) and an atomic
// promotion with a topology (item 4), through the official driver.
// Cluster A (3 servers) hosts foo on all three; cluster B (5 servers) holds
// foo-replica, first on one server, pulling from A's first server only.
// alterReplicaDatabase moves it to A's other servers (the running session
// leaves the old address within a few seconds), then grows it to 2+2 members
// seeded inside B; every bad call is refused with its reason and SHOW
// DATABASES is the same before and after; a promotion with a topology the
// servers cannot hold changes nothing, a good one gives the new topology.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const {
  generateCertificates,
  removeCertificates,
  startDrClusters,
  waitCaughtUp,
  createReplicaQuery,
} = require('./lib/clusters');
const { neo4j, query, failure } = require('./lib/driver');
const { eventually } = require('../support/eventually');

const FAILED = 'Neo.ClientError.Procedure.ProcedureCallFailed';
const int = (n) => neo4j.int(n);

describe('alterReplicaDatabase and promoteReplicaDatabaseWithTopology', () => {
  let certs;
  let A;
  let B;

  const alter = (options) =>
    B.system('CALL internal.dbms.alterReplicaDatabase($name, $options)', { name: 'foo-replica', options });

  // What SHOW DATABASES says of every database, except the moving columns.
  const databases = (cluster) =>
    cluster.system(
      'SHOW DATABASES YIELD name, type, access, address, role, writer, requestedStatus, options ' +
        'RETURN name, type, access, address, role, writer, requestedStatus, options ORDER BY name, address',
    );

  async function refused(text, params, message) {
    const d = B.driver(B.bolt(0));
    const session = d.session({ database: 'system' });
    try {
      const e = await failure(session.run(text, params));
      assert.equal(e.code, FAILED, e.message);
      assert.match(e.message, message);
      return e;
    } finally {
      await session.close();
    }
  }

  const writeCustomers = (from, to) =>
    query(A.driver(), 'UNWIND range($from, $to) AS i CREATE (:Customer {id: i})', { from: int(from), to: int(to) }, {
      database: 'foo',
    });

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 3 }],
      ['clusterB', { certs, servers: 5 }],
    ]);
    await A.system('CREATE DATABASE foo TOPOLOGY 3 PRIMARIES WAIT');
    await writeCustomers(1, 50);
    await B.system(createReplicaQuery(), {
      name: 'foo-replica',
      primaries: int(1),
      secondaries: int(0),
      remote: 'foo',
      addresses: [A.clusterAddresses[0]],
    });
    await B.waitOnline('foo-replica', 1);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('new addresses: the option changes and the member moves off the old address', async () => {
    const [row] = await B.show('foo-replica');
    assert.match(row.statusMessage, new RegExp(`pulling from ${A.clusterAddresses[0]}`));
    const rows = await alter({ addresses: [A.clusterAddresses[1], A.clusterAddresses[2]] });
    assert.deepEqual(rows, []);
    const [after] = await B.show('foo-replica', true);
    assert.deepEqual(after.options.replicaConfig.addresses, [A.clusterAddresses[1], A.clusterAddresses[2]]);
    assert.equal(after.options.replicaConfig.remote, 'foo');
    // Within a few heartbeats the session leaves A's first server.
    const moved = await eventually(
      async () => {
        const [r] = await B.show('foo-replica');
        return /pulling from 127\.0\.0\.1:\d+/.test(r.statusMessage) &&
          !r.statusMessage.includes(A.clusterAddresses[0])
          ? r
          : null;
      },
      { what: 'the replica to pull from a new address' },
    );
    assert.ok(
      moved.statusMessage.includes(A.clusterAddresses[1]) || moved.statusMessage.includes(A.clusterAddresses[2]),
      moved.statusMessage,
    );
    await writeCustomers(51, 80);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
    const log = fs.readFileSync(`${B.home}/logs/debug.log`, 'utf8');
    assert.match(log, /the upstream addresses changed to \[[^\]]+\]; leaving 127\.0\.0\.1:\d+/);
    // The same again: success, nothing changed.
    const same = await databases(B);
    await alter({ addresses: [A.clusterAddresses[1], A.clusterAddresses[2]] });
    assert.deepEqual(await databases(B), same);
  });

  test('bad calls are refused with their reason and change nothing', async () => {
    const beforeB = await databases(B);
    const call = 'CALL internal.dbms.alterReplicaDatabase($name, $options)';
    const cases = [
      [{ name: 'foo-replica', options: { remote: 'bar' } }, /'remote' cannot change: a replica follows one upstream database/],
      [{ name: 'foo-replica', options: { pull: true } }, /unknown key 'pull' \(expected addresses, numPrimaries, numSecondaries, applyDelay, fanOut\)/],
      [{ name: 'foo-replica', options: {} }, /options is empty/],
      [{ name: 'foo-replica', options: { addresses: [] } }, /'addresses' must be a non-empty LIST<STRING>/],
      [{ name: 'foo-replica', options: { addresses: ['server01'] } }, /not host:port/],
      [{ name: 'foo-replica', options: { numPrimaries: int(0) } }, /zero members in total; a database needs at least one primary/],
      [{ name: 'foo-replica', options: { numPrimaries: 'two' } }, /numPrimaries must be an INTEGER/],
      [{ name: 'foo-replica', options: { numPrimaries: int(6) } }, /cannot use topology 6 primaries, 0 secondaries: .*nothing was changed/],
      [{ name: 'foo-replica', options: { addresses: [B.clusterAddresses[2]] } }, /is server \S+ of this cluster/],
      [{ name: 'foo-replica', options: { addresses: ['127.0.0.1:1'] } }, /cannot use addresses \[127\.0\.0\.1:1\]: .*nothing was changed/],
      [{ name: 'nope', options: { numPrimaries: int(1) } }, /database 'nope' does not exist/],
      [{ name: 'system', options: { numPrimaries: int(1) } }, /reserved|not a replica/],
    ];
    for (const [params, message] of cases) {
      await refused(call, params, message);
    }
    // A replica is not made writable by SET ACCESS: promotion does that.
    const e = await failure(B.system('ALTER DATABASE `foo-replica` SET ACCESS READ WRITE'));
    assert.equal(e.code, 'Neo.ClientError.General.InvalidArguments', e.message);
    assert.match(e.message, /'foo-replica' is a replica database: it stays read-only until it is promoted/);
    await refused(
      'CALL internal.dbms.alterReplicaDatabase($name, $options, 1)',
      { name: 'foo-replica', options: { numPrimaries: int(1) } },
      /.+/,
    );
    assert.deepEqual(await databases(B), beforeB);
  });

  test('more members: seeded inside cluster B at the replica\'s position, then pulling', async () => {
    await writeCustomers(81, 120);
    const upTx = await waitCaughtUp(A, 'foo', B, 'foo-replica');
    await alter({ numPrimaries: int(2), numSecondaries: int(2) });
    const rows = await B.waitOnline('foo-replica', 4);
    assert.equal(rows.filter((r) => r.role === 'primary').length, 2);
    assert.equal(rows.filter((r) => r.role === 'secondary').length, 2);
    assert.ok(rows.every((r) => r.type === 'replica' && r.access === 'read-only' && !r.writer));
    const log = fs.readFileSync(`${B.home}/logs/debug.log`, 'utf8');
    const seeded = [...log.matchAll(/new member of replica 'foo-replica' on \S+ seeded from \S+ at tx (\d+)/g)];
    assert.equal(seeded.length, 3, log.slice(-2000));
    assert.ok(seeded.every((m) => Number(m[1]) === upTx), JSON.stringify(seeded.map((m) => m[1])));
    await writeCustomers(121, 130);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
    for (let i = 0; i < 5; i++) {
      const [{ n }] = await query(B.driver(B.bolt(i)), 'MATCH (c:Customer) RETURN count(c) AS n', {}, {
        database: 'foo-replica',
        defaultAccessMode: neo4j.session.READ,
      }).catch(() => [{ n: null }]);
      if (n !== null) {
        assert.equal(Number(n), 130);
      }
    }
  });

  test('promotion with a topology the servers cannot hold changes nothing; a good one gives it', async () => {
    const beforeB = await databases(B);
    await refused(
      'CALL internal.dbms.promoteReplicaDatabaseWithTopology($name, $p, $s)',
      { name: 'foo-replica', p: int(6), s: int(0) },
      /cannot use topology 6 primaries, 0 secondaries: .*still a replica with its old topology/,
    );
    assert.deepEqual(await databases(B), beforeB);

    const upTx = await waitCaughtUp(A, 'foo', B, 'foo-replica');
    await B.system("CALL internal.dbms.promoteReplicaDatabaseWithTopology('foo-replica', 3, 1)");
    const rows = await B.waitOnline('foo-replica', 4);
    assert.ok(rows.every((r) => r.type === 'standard'), JSON.stringify(rows));
    assert.equal(rows.filter((r) => r.role === 'primary').length, 3);
    assert.equal(rows.filter((r) => r.writer).length, 1);
    const ids = await B.txIds('foo-replica');
    assert.ok(ids.every((t) => t === upTx), JSON.stringify(ids));
    const [{ n }] = await query(B.driver(), 'CREATE (c:Customer {id: 131}) RETURN count(c) AS n', {}, {
      database: 'foo-replica',
    });
    assert.equal(Number(n), 1);
    const [row] = await B.show('foo-replica', true);
    assert.equal(row.options.replicaConfig, undefined);
  });
});
