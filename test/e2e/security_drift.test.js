'use strict';
// The drift check between the two clusters of a replica: users and roles are
// not replicated, so cluster B asks cluster A, over the authenticated
// replication link, for its users and compares them with its own
// (internal.dbms.compareSecurity). A user missing on B and a role that
// differs are reported, and the metric ccdr.security.differences counts
// them (checked every second here, ccdr.security.compare_interval); once B
// is fixed, both say nothing differs.
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
const { neo4j, query, failure, eventually } = require('./lib/driver');

// The last value of a per-database metric of `home` on every server (CSV files).
function metricValues(home, db, name) {
  const root = path.join(home, 'metrics');
  const file = `neo4j.database.${db}.${name}.csv`;
  const out = [];
  for (const server of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    const csv = path.join(root, server, file);
    if (fs.existsSync(csv)) {
      const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
      out.push(Number(lines[lines.length - 1].split(',')[1]));
    }
  }
  return out;
}

describe('compareSecurity between cluster A and the replica cluster B', () => {
  let certs;
  let A;
  let B;

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { servers: 2, certs }],
      ['clusterB', { servers: 2, certs, settings: { 'ccdr.security.compare_interval': '1s' } }],
    ]);
    await A.system('CREATE DATABASE foo TOPOLOGY 2 PRIMARIES WAIT');
    await query(A.driver(), 'UNWIND range(1, 10) AS i CREATE (:Customer {id: i})', {}, { database: 'foo' });
    await B.system(createReplicaQuery(), {
      name: 'foo-replica',
      primaries: neo4j.int(2),
      secondaries: neo4j.int(0),
      remote: 'foo',
      addresses: A.clusterAddresses,
    });
    await B.waitOnline('foo-replica', 2);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
    // On A: the application's user and an ETL user; on B: the application's
    // user with another role, and no ETL user.
    for (const [text, params] of [
      ['CREATE USER app SET PASSWORD $pw CHANGE NOT REQUIRED', { pw: 'app-password-a' }],
      ['GRANT ROLE editor TO app', {}],
      ['CREATE USER etl SET PASSWORD $pw CHANGE NOT REQUIRED', { pw: 'etl-password-a' }],
      ['GRANT ROLE reader TO etl', {}],
    ]) {
      await A.system(text, params);
    }
    await B.system('CREATE USER app SET PASSWORD $pw CHANGE NOT REQUIRED', { pw: 'app-password-b' });
    await B.system('GRANT ROLE reader TO app');
  });
  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('a missing user and a role difference are reported, per user', async () => {
    const rows = await B.system(
      'CALL internal.dbms.compareSecurity("foo-replica") YIELD user, presentHere, presentThere, rolesHere, rolesThere, verdict',
    );
    assert.deepEqual(rows, [
      { user: 'app', presentHere: true, presentThere: true, rolesHere: ['PUBLIC', 'reader'], rolesThere: ['PUBLIC', 'editor'], verdict: 'roles differ' },
      { user: 'etl', presentHere: false, presentThere: true, rolesHere: null, rolesThere: ['PUBLIC', 'reader'], verdict: 'missing here' },
      { user: 'neo4j', presentHere: true, presentThere: true, rolesHere: ['PUBLIC', 'admin'], rolesThere: ['PUBLIC', 'admin'], verdict: 'same' },
    ]);
    // The periodic check sets the metric on every server hosting a member.
    await eventually(() => {
      const v = metricValues(B.home, 'foo-replica', 'ccdr.security.differences');
      return v.length === 2 && v.every((x) => x === 2);
    });
    const log = fs.readFileSync(path.join(A.home, 'logs', 'debug.log'), 'utf8');
    assert.match(log, /told .* the 3 users of this cluster and their roles \(compareSecurity for 'foo'\)/);
  });

  test('nothing once B is fixed', async () => {
    await B.system('REVOKE ROLE reader FROM app');
    await B.system('GRANT ROLE editor TO app');
    await B.system('CREATE USER etl SET PASSWORD $pw CHANGE NOT REQUIRED', { pw: 'etl-password-b' });
    await B.system('GRANT ROLE reader TO etl');
    const rows = await B.system('CALL internal.dbms.compareSecurity("foo-replica") YIELD user, verdict');
    assert.deepEqual(rows, [
      { user: 'app', verdict: 'same' },
      { user: 'etl', verdict: 'same' },
      { user: 'neo4j', verdict: 'same' },
    ]);
    await eventually(() => {
      const v = metricValues(B.home, 'foo-replica', 'ccdr.security.differences');
      return v.length === 2 && v.every((x) => x === 0);
    });
  });

  test('no password or hash crosses the link, and bad calls are refused', async () => {
    for (const home of [A.home, B.home]) {
      const log = fs.readFileSync(path.join(home, 'logs', 'debug.log'), 'utf8');
      for (const secret of ['app-password-a', 'app-password-b', 'etl-password-a', 'etl-password-b', 'pbkdf2-sha256$']) {
        assert.equal(log.includes(secret), false, secret);
      }
    }
    const notReplica = await failure(B.system('CALL internal.dbms.compareSecurity("neo4j")'));
    assert.equal(notReplica.code, 'Neo.ClientError.Procedure.ProcedureCallFailed');
    assert.match(notReplica.message, /'neo4j' is a standard database, not a replica/);
    const reader = B.driver(B.bolt(0), 'etl', 'etl-password-b');
    const forbidden = await failure(query(reader, 'CALL internal.dbms.compareSecurity("foo-replica")', {}, { database: 'system' }));
    assert.equal(forbidden.code, 'Neo.ClientError.Security.Forbidden');
  });
});
