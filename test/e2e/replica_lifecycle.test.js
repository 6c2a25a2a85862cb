'use strict';
// A replica between two clusters, as the CCDR documentation walks through it:
// cluster A (3 servers) holds foo; cluster B (5 servers: 3 allow PRIMARY, 2
// SECONDARY) creates foo-replica (3 primaries, 2 secondaries) pulling from A
// over mutual TLS. Its SHOW DATABASE rows, reads and refused writes, routing
// tables (also with dbms.routing.reads_on_primaries_enabled=false), the
// last_committed_tx_id metrics on both sides, and promotion with a changed
// topology. The tests of this file run in order on the same two clusters.
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
const { neo4j, query, failure, routingTable, eventually } = require('./lib/driver');
const { freePorts } = require('./lib/ports');

const sorted = (a) => [...a].sort();
const READ = { database: 'foo-replica', defaultAccessMode: neo4j.session.READ };

async function count(d, sessionConfig, label = 'Customer') {
  const rows = await query(d, `MATCH (c:${label}) RETURN count(c) AS n`, {}, sessionConfig);
  return rows[0].n.toNumber();
}

// The values of one Prometheus metric at `url`, one per `server` label.
async function prometheusValues(url, name) {
  const text = await (await fetch(url)).text();
  const values = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`)) {
      values.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
  }
  return values;
}

// The table dbms.routing.getRoutingTable returns: {ttl, roles, ROLE: addresses}.
async function procedureTable(d, database) {
  const rows = await query(d, 'CALL dbms.routing.getRoutingTable({}, $db) YIELD ttl, servers RETURN ttl, servers', {
    db: database,
  });
  const table = { ttl: rows[0].ttl.toNumber(), roles: rows[0].servers.map((s) => s.role) };
  for (const s of rows[0].servers) {
    table[s.role] = s.addresses;
  }
  return table;
}

describe('a replica of foo from cluster A in cluster B', () => {
  let certs;
  let A;
  let B;
  let onA;
  let onB;
  let promUrl;
  const secondaries = () => B.boltAddresses.slice(3);

  before(async () => {
    certs = await generateCertificates();
    const [promA, promB] = await freePorts(2);
    const prometheus = (port) => ({
      'server.metrics.prometheus.enabled': 'true',
      'server.metrics.prometheus.endpoint': `127.0.0.1:${port}`,
    });
    promUrl = { A: `http://127.0.0.1:${promA}/metrics`, B: `http://127.0.0.1:${promB}/metrics` };
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 3, settings: prometheus(promA) }],
      [
        'clusterB',
        {
          certs,
          servers: 5,
          modes: ['PRIMARY', 'PRIMARY', 'PRIMARY', 'SECONDARY', 'SECONDARY'],
          settings: prometheus(promB),
        },
      ],
    ]);
    onA = A.driver();
    onB = B.driver();
    await A.system('CREATE DATABASE foo TOPOLOGY 3 PRIMARIES WAIT');
    await query(onA, "UNWIND range(1, 100) AS i CREATE (:Customer {id: i, name: 'customer ' + toString(i)})", {}, {
      database: 'foo',
    });
    await B.system(createReplicaQuery(), {
      name: 'foo-replica',
      primaries: neo4j.int(3),
      secondaries: neo4j.int(2),
      remote: 'foo',
      addresses: A.clusterAddresses,
    });
    await B.waitOnline('foo-replica', 5);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('SHOW DATABASE: type replica, read-only, no writer, 3 primaries and 2 secondaries on B', async () => {
    const rows = await B.show('foo-replica');
    assert.equal(rows.length, 5);
    for (const r of rows) {
      assert.equal(r.name, 'foo-replica');
      assert.equal(r.type, 'replica');
      assert.equal(r.access, 'read-only');
      assert.equal(r.writer, false);
      assert.equal(r.currentStatus, 'online');
    }
    assert.deepEqual(sorted(rows.map((r) => r.address)), sorted(B.boltAddresses));
    const roleOf = Object.fromEntries(rows.map((r) => [r.address, r.role]));
    for (const a of B.boltAddresses.slice(0, 3)) {
      assert.equal(roleOf[a], 'primary');
    }
    for (const a of secondaries()) {
      assert.equal(roleOf[a], 'secondary');
    }
  });

  test('SHOW DATABASE YIELD options shows the replicaConfig: the remote and its addresses', async () => {
    const rows = await B.system('SHOW DATABASE `foo-replica` YIELD name, options');
    assert.equal(rows.length, 5);
    for (const r of rows) {
      assert.deepEqual(r.options, { replicaConfig: { remote: 'foo', addresses: A.clusterAddresses } });
    }
    // The upstream itself is a standard database without replicaConfig.
    const upstream = await A.system('SHOW DATABASE foo YIELD type, writer, options');
    assert.equal(upstream.filter((r) => r.writer).length, 1);
    for (const r of upstream) {
      assert.equal(r.type, 'standard');
      assert.equal(r.options.replicaConfig, undefined);
    }
  });

  test('reads through neo4j:// with READ access see the upstream data', async () => {
    assert.equal(await count(onB, READ), 100);
    const session = onB.session(READ);
    try {
      const r = await session.executeRead((tx) => tx.run('MATCH (c:Customer {id: 42}) RETURN c.name AS name'));
      assert.deepEqual(r.records.map((x) => x.get('name')), ['customer 42']);
      assert.equal(r.summary.database.name, 'foo-replica');
    } finally {
      await session.close();
    }
  });

  test('a routed WRITE session cannot find a write server', async () => {
    const session = onB.session({ database: 'foo-replica' });
    try {
      const e = await failure(session.run('CREATE (:Customer {id: 0})'));
      assert.match(e.message, /Failed to obtain connection towards write server/i);
    } finally {
      await session.close();
    }
    const e2 = await failure(onB.executeQuery('CREATE (:Customer {id: 0})', {}, { database: 'foo-replica' }));
    assert.match(e2.message, /Failed to obtain connection towards write server/i);
    assert.equal(await count(onB, READ), 100);
  });

  test('writes sent straight to a replica member are refused: auto-commit, explicit tx, executeWrite', async () => {
    // One primary and one secondary member, each through a bolt:// driver pinned to it.
    for (const i of [0, 4]) {
      const pinned = B.driver(B.bolt(i));
      const session = pinned.session({ database: 'foo-replica' });
      try {
        let e = await failure(session.run('CREATE (:Customer {id: 0})'));
        assert.equal(e.code, 'Neo.ClientError.General.ForbiddenOnReadOnlyDatabase', e.message);

        const tx = session.beginTransaction();
        e = await failure(tx.run('CREATE (:Customer {id: 0})'));
        assert.equal(e.code, 'Neo.ClientError.General.ForbiddenOnReadOnlyDatabase', e.message);
        await tx.close().catch(() => {});

        e = await failure(session.executeWrite((t) => t.run('MATCH (c:Customer {id: 1}) SET c.name = "x"')));
        assert.equal(e.code, 'Neo.ClientError.General.ForbiddenOnReadOnlyDatabase', e.message);
      } finally {
        await session.close();
      }
      // Reads on the pinned member still work.
      assert.equal(await count(pinned, { database: 'foo-replica' }), 100);
    }
    assert.equal(await count(onB, READ), 100);
    const rows = await query(onB, 'MATCH (c:Customer {id: 1}) RETURN c.name AS name', {}, READ);
    assert.equal(rows[0].name, 'customer 1');
  });

  test('routing table: every member READ and ROUTE, no WRITE entry (procedure and driver agree)', async () => {
    const t = await procedureTable(onB, 'foo-replica');
    assert.equal(t.ttl, 300);
    assert.deepEqual(t.roles, ['READ', 'ROUTE']);
    assert.deepEqual(sorted(t.READ), sorted(B.boltAddresses));
    assert.deepEqual(sorted(t.ROUTE), sorted(B.boltAddresses));
    const fromDriver = routingTable(onB, 'foo-replica');
    assert.deepEqual(fromDriver.writers, []);
    assert.deepEqual(sorted(fromDriver.readers), sorted(B.boltAddresses));
  });

  test('last_committed_tx_id: equal on every member of both sides after catch-up', async () => {
    for (let i = 101; i <= 150; i += 10) {
      await query(onA, 'UNWIND range($from, $to) AS i CREATE (:Customer {id: i})', {
        from: neo4j.int(i),
        to: neo4j.int(i + 9),
      }, { database: 'foo' });
    }
    const tx = await waitCaughtUp(A, 'foo', B, 'foo-replica');
    assert.ok(tx >= 6, `foo is at tx ${tx}`);
    // The CSV files are written every second: wait for the next interval.
    const csv = await eventually(() => {
      const up = lastCommittedTxMetric(A.home, 'foo');
      const down = lastCommittedTxMetric(B.home, 'foo-replica');
      const all = [...Object.values(up), ...Object.values(down)];
      return Object.keys(up).length === 3 && Object.keys(down).length === 5 && all.every((v) => v === tx)
        ? { up, down }
        : null;
    }, { timeoutMs: 10_000 });
    assert.equal(Object.keys(csv.down).length, 5);
    // The Prometheus endpoints serve the same figure, as Neo4j names it.
    const up = await prometheusValues(promUrl.A, 'neo4j_database_foo_transaction_last_committed_tx_id_total');
    const down = await prometheusValues(promUrl.B, 'neo4j_database_foo_replica_transaction_last_committed_tx_id_total');
    assert.deepEqual(up, [tx, tx, tx]);
    assert.deepEqual(down, [tx, tx, tx, tx, tx]);
    const lag = await prometheusValues(promUrl.B, 'neo4j_database_foo_replica_ccdr_replica_lag_tx');
    assert.equal(lag.length, 5);
    assert.equal(await count(onB, READ), 150);
  });

  test('with dbms.routing.reads_on_primaries_enabled=false only the secondaries read; the replica resumes after the restart', async () => {
    await onB.close();
    await B.restart({ 'dbms.routing.reads_on_primaries_enabled': 'false' });
    onB = B.driver();
    await B.waitOnline('foo-replica', 5);
    const t = await procedureTable(onB, 'foo-replica');
    assert.deepEqual(t.roles, ['READ', 'ROUTE']);
    assert.deepEqual(sorted(t.READ), sorted(secondaries()));
    assert.deepEqual(sorted(t.ROUTE), sorted(B.boltAddresses));
    assert.equal(await count(onB, READ), 150);
    assert.deepEqual(sorted(routingTable(onB, 'foo-replica').readers), sorted(secondaries()));

    await query(onA, 'CREATE (:Customer {id: 151})', {}, { database: 'foo' });
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
    assert.equal(await count(onB, READ), 151);
  });

  test('promoteReplicaDatabaseWithTopology(foo-replica, 2, 1): standard, writable, one writer, no replicaConfig', async () => {
    const before = await B.txIds('foo-replica');
    // fenceOnHeal off: the next test writes to A's foo after the promotion
    // (A stays reachable here), which fence on heal would make read-only
    // within its interval, a race with that write.
    await B.system("CALL internal.dbms.promoteReplicaDatabaseWithTopology('foo-replica', 2, 1, {fenceOnHeal: false})");
    const rows = await B.waitOnline('foo-replica', 3);
    assert.equal(rows.filter((r) => r.writer === true).length, 1);
    assert.equal(rows.find((r) => r.writer).role, 'primary');
    assert.deepEqual(sorted(rows.map((r) => r.role)), ['primary', 'primary', 'secondary']);
    for (const r of rows) {
      assert.equal(r.type, 'standard');
      assert.equal(r.access, 'read-write');
    }
    const options = await B.system('SHOW DATABASE `foo-replica` YIELD options');
    for (const r of options) {
      assert.equal(r.options.replicaConfig, undefined);
    }
    // Nothing was lost: every member has the data the replica had.
    assert.deepEqual(new Set(await B.txIds('foo-replica')), new Set([Math.max(...before)]));
    assert.equal(await count(onB, READ), 151);

    // Writable through routing, now with a WRITE entry (READ: the secondary, as configured).
    await eventually(async () => {
      await query(onB, "CREATE (:Customer {id: 3000, name: 'written in B'})", {}, { database: 'foo-replica' });
      return true;
    }, { timeoutMs: 10_000 });
    assert.equal(await count(onB, { database: 'foo-replica' }), 152);
    const t = await procedureTable(onB, 'foo-replica');
    assert.deepEqual(t.roles, ['WRITE', 'READ', 'ROUTE']);
    assert.deepEqual(t.WRITE, [rows.find((r) => r.writer).address]);
    assert.deepEqual(t.READ, [rows.find((r) => r.role === 'secondary').address]);
  });

  test('promotion is one-way: A\'s new writes never reach the promoted database', async () => {
    await query(onA, 'CREATE (:Customer {id: 152})', {}, { database: 'foo' });
    // A witness: a new replica of foo on B, pulling from the same upstream.
    // Once it has A's last transaction, a database still pulling would too.
    await B.system(createReplicaQuery(), {
      name: 'foo-witness',
      primaries: neo4j.int(1),
      secondaries: neo4j.int(0),
      remote: 'foo',
      addresses: A.clusterAddresses,
    });
    await waitCaughtUp(A, 'foo', B, 'foo-witness');
    const rows = await query(onB, 'MATCH (c:Customer {id: 152}) RETURN count(c) AS n', {}, { database: 'foo-replica' });
    assert.equal(rows[0].n.toNumber(), 0);
    const e = await failure(B.system("CALL internal.dbms.promoteReplicaDatabase('foo-replica')"));
    assert.equal(e.code, 'Neo.ClientError.Procedure.ProcedureCallFailed');
    assert.match(e.message, /'foo-replica' is a standard database, not a replica/);
  });
});
