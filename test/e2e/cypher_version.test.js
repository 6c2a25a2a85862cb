'use strict';
// `CYPHER 5` and `CYPHER 25` (issue 17 item 3): the feature page says the
// replica procedures work in both Cypher versions; Neo4j lets either lead any
// statement. Through neo4j-driver: the replica lifecycle, database and user
// administration (sent to the user database as well: still routed to
// system), graph queries; any other version is a SyntaxError that creates,
// changes and calls nothing (SHOW DATABASES and SHOW USERS before and after).
// Cluster A: 1 server with foo. Cluster B: 2 servers.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  generateCertificates,
  removeCertificates,
  startDrClusters,
  waitCaughtUp,
} = require('./lib/clusters');
const { neo4j, query, failure } = require('./lib/driver');

const SYNTAX = 'Neo.ClientError.Statement.SyntaxError';
const int = (n) => neo4j.int(n);

describe('CYPHER 5 and CYPHER 25 lead every statement; other versions are refused', () => {
  let certs;
  let A;
  let B;
  let onA;
  let onB;

  const users = async (cluster) =>
    (await cluster.system('SHOW USERS YIELD user RETURN user')).map((r) => r.user).sort();

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 1 }],
      ['clusterB', { certs, servers: 2 }],
    ]);
    onA = A.driver(A.bolt(0));
    onB = B.driver(B.bolt(0));
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('administration with either prefix, sent to the default database, runs on system', async () => {
    // No database named: the session's is neo4j, the command goes to system.
    await query(onA, 'CYPHER 25 CREATE DATABASE foo WAIT');
    await query(onA, 'cypher 5 CREATE USER carol SET PASSWORD $pw CHANGE NOT REQUIRED', { pw: 'carol-password' });
    await query(onA, 'CYPHER 25 GRANT ROLE reader TO carol');
    const shown = await query(onA, 'CYPHER 5 SHOW USERS YIELD user, roles WHERE user = "carol" RETURN roles');
    assert.deepEqual([...shown[0].roles].sort(), ['PUBLIC', 'reader']);
    const db = await query(onA, 'CYPHER 25 SHOW DATABASE foo YIELD name, currentStatus');
    assert.deepEqual(db, [{ name: 'foo', currentStatus: 'online' }]);
    await query(onA, "CYPHER 5 UNWIND range(1, 20) AS i CREATE (:Customer {id: i})", {}, { database: 'foo' });
    const n = await query(onA, 'CYPHER 25 MATCH (c:Customer) RETURN count(c) AS n', {}, { database: 'foo' });
    assert.equal(n[0].n.toNumber(), 20);
  });

  test('the replica procedures with either prefix: create, then promote', async () => {
    await query(
      onB,
      'CYPHER 25 CALL internal.dbms.createReplicaDatabase($name, $p, $s, {remote: $remote, addresses: $addresses})',
      { name: 'foo-replica', p: int(2), s: int(0), remote: 'foo', addresses: A.clusterAddresses },
      { database: 'system' },
    );
    await B.waitOnline('foo-replica', 2);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
    const types = await query(onB, 'CYPHER 5 SHOW DATABASE `foo-replica` YIELD type RETURN DISTINCT type');
    assert.deepEqual(types, [{ type: 'replica' }]);
    const n = await query(onB, 'CYPHER 5 MATCH (c:Customer) RETURN count(c) AS n', {}, { database: 'foo-replica' });
    assert.equal(n[0].n.toNumber(), 20);
    await query(onB, "CYPHER 5 CALL internal.dbms.promoteReplicaDatabase('foo-replica')", {}, { database: 'system' });
    const after = await B.show('foo-replica');
    assert.deepEqual(after.map((r) => r.type), ['standard', 'standard']);
  });

  test('another version is a SyntaxError naming the version, and nothing changes', async () => {
    const namesA = await A.names();
    const namesB = await B.names();
    const usersA = await users(A);
    const refused = [
      [onB, 'CYPHER 4 CALL internal.dbms.createReplicaDatabase($name, 1, 0, {remote: "foo", addresses: $a})', '4'],
      [onB, 'CYPHER 26 CALL internal.dbms.promoteReplicaDatabase("foo-replica")', '26'],
      [onA, 'CYPHER 26 CREATE DATABASE bar WAIT', '26'],
      [onA, 'CYPHER 4 DROP DATABASE foo', '4'],
      [onA, 'CYPHER 3 STOP DATABASE foo', '3'],
      [onA, "CYPHER 6 CREATE USER dave SET PASSWORD 'dave-password'", '6'],
      [onA, 'CYPHER 24 DROP USER carol', '24'],
      [onA, 'CYPHER 5.0 SHOW DATABASES', '5.0'],
      [onA, 'CYPHER 1 CREATE (:Customer {id: 0})', '1'],
    ];
    for (const [d, text, version] of refused) {
      // The system database and a user database of that cluster.
      for (const database of ['system', d === onA ? 'foo' : 'foo-replica']) {
        const e = await failure(query(d, text, { name: 'other-replica', a: A.clusterAddresses }, { database }));
        assert.equal(e.code, SYNTAX, `${text} on ${database}: ${e.message}`);
        assert.equal(e.gqlStatus, '42001');
        assert.ok(
          e.message.startsWith(`Invalid input '${version}': expected '5' or '25'`),
          `${text} on ${database}: ${e.message}`,
        );
        assert.match(e.message, /line 1, column 8 \(offset: 7\)/);
      }
    }
    // Inside an explicit transaction on a user database as well.
    const session = onA.session({ database: 'foo' });
    try {
      const tx = session.beginTransaction();
      const e = await failure(tx.run('CYPHER 26 SHOW DATABASES'));
      assert.equal(e.code, SYNTAX, e.message);
      await tx.rollback().catch(() => {});
    } finally {
      await session.close();
    }
    assert.deepEqual(await A.names(), namesA);
    assert.deepEqual(await B.names(), namesB);
    assert.deepEqual(await users(A), usersA);
    const n = await query(onA, 'MATCH (c:Customer) RETURN count(c) AS n', {}, { database: 'foo' });
    assert.equal(n[0].n.toNumber(), 20);
    const types = await query(onB, 'SHOW DATABASE `foo-replica` YIELD type RETURN DISTINCT type');
    assert.deepEqual(types, [{ type: 'standard' }]);
  });
});
