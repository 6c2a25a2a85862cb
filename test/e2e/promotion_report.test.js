'use strict';
// What promoting a replica now would lose (issue 15, item 5):
// internal.dbms.promotionReport('foo-replica') on the replica's cluster.
// Cluster A: 1 server with foo. Cluster B: 3 servers, foo-replica with one
// primary and one secondary; B's third server hosts no member (it can ask
// the upstream, but has heard nothing itself). Tests run in order: caught
// up; a stopped replica falling behind by a known count; A killed by PID
// (the position last heard); bad calls.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { setTimeout: sleep } = require('node:timers/promises');
const { generateCertificates, removeCertificates, startDrClusters, waitCaughtUp, createReplicaQuery } = require(
  './lib/clusters',
);
const { neo4j, query, failure, eventually } = require('./lib/driver');

const FAILED = 'Neo.ClientError.Procedure.ProcedureCallFailed';
const COLUMNS = [
  'serverId', 'address', 'role', 'state', 'lastAppliedTx', 'lastAppliedTime', 'upstreamLastTx',
  'upstreamLastCommitTime', 'upstreamHeardAt', 'upstreamAnswers', 'txAtRisk', 'secondsAtRisk', 'message',
];

const plain = (r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, neo4j.isInt(v) ? v.toNumber() : v]));

describe('internal.dbms.promotionReport', () => {
  let certs;
  let A;
  let B;
  let hosting; // Bolt URLs of B's servers with a member of foo-replica
  let bystander; // Bolt URL of B's server without one
  let bServerIds;

  async function report(url, db = 'foo-replica') {
    const rows = await query(B.driver(url), 'CALL internal.dbms.promotionReport($db)', { db }, { database: 'system' });
    return rows.map(plain);
  }

  async function writeTxs(n) {
    const d = A.driver();
    for (let i = 0; i < n; i++) {
      await query(d, 'CREATE (:Item {i: $i})', { i: neo4j.int(i) }, { database: 'foo' });
    }
    return Math.max(...(await A.txIds('foo')));
  }

  // secondsAtRisk follows from the two commit times when the host reports
  // the member's (ABI 1.2 last_commit_time_ms); NULL when a transaction is
  // at risk and it does not.
  function assertSeconds(r) {
    if (r.txAtRisk === 0) {
      assert.equal(r.secondsAtRisk, 0, JSON.stringify(r));
    } else if (r.lastAppliedTime === null || r.upstreamLastCommitTime === null) {
      assert.equal(r.secondsAtRisk, null, JSON.stringify(r));
      assert.match(r.message, /secondsAtRisk unknown/);
    } else {
      assert.equal(r.secondsAtRisk, Math.max(0, r.upstreamLastCommitTime - r.lastAppliedTime) / 1000, JSON.stringify(r));
    }
  }

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 1 }],
      ['clusterB', { certs, servers: 3 }],
    ]);
    await A.system('CREATE DATABASE foo WAIT');
    await writeTxs(3);
    await B.system(createReplicaQuery(), {
      name: 'foo-replica',
      primaries: neo4j.int(1),
      secondaries: neo4j.int(1),
      remote: 'foo',
      addresses: A.clusterAddresses,
    });
    const members = await B.waitOnline('foo-replica', 2);
    hosting = members.map((r) => `bolt://${r.address}`);
    bystander = `bolt://${B.boltAddresses.find((a) => !members.some((r) => r.address === a))}`;
    bServerIds = (await B.system('SHOW SERVERS YIELD serverId RETURN serverId')).map((r) => r.serverId);
    await B.system('CREATE DATABASE plain WAIT');
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('caught up: every member at the upstream last tx, nothing at risk, from any server', async () => {
    const tx = await writeTxs(5);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
    for (const url of [...hosting, bystander]) {
      const asked = Date.now();
      const rows = await report(url);
      assert.equal(rows.length, 2);
      assert.deepEqual(Object.keys(rows[0]), COLUMNS);
      assert.deepEqual(rows.map((r) => r.role).sort(), ['primary', 'secondary']);
      for (const r of rows) {
        assert.ok(bServerIds.includes(r.serverId), JSON.stringify(r));
        assert.ok(B.boltAddresses.includes(r.address), JSON.stringify(r));
        assert.equal(r.state, 'online');
        assert.equal(r.lastAppliedTx, tx);
        assert.equal(r.upstreamAnswers, true, r.message);
        assert.equal(r.upstreamLastTx, tx);
        assert.ok(r.upstreamLastCommitTime > asked - 120_000 && r.upstreamLastCommitTime <= Date.now(), JSON.stringify(r));
        assert.ok(r.upstreamHeardAt >= asked && r.upstreamHeardAt <= Date.now(), JSON.stringify(r));
        assert.ok(r.lastAppliedTime === null || r.lastAppliedTime === r.upstreamLastCommitTime, JSON.stringify(r));
        assert.equal(r.txAtRisk, 0);
        assert.equal(r.secondsAtRisk, 0);
        assert.match(r.message, /upstream server 127\.0\.0\.1:\d+ answered/);
      }
    }
  });

  test('a stopped replica: the transactions committed upstream since are at risk, until it catches up', async () => {
    const tx = Math.max(...(await A.txIds('foo')));
    await B.system('STOP DATABASE `foo-replica` WAIT');
    await sleep(20); // the new commits are later than the last applied one
    const upstreamTx = await writeTxs(3);
    assert.equal(upstreamTx, tx + 3);
    const rows = await report(hosting[0]);
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(r.state, 'offline');
      assert.equal(r.lastAppliedTx, tx);
      assert.equal(r.upstreamAnswers, true, r.message);
      assert.equal(r.upstreamLastTx, upstreamTx);
      assert.equal(r.txAtRisk, 3);
      assertSeconds(r);
      assert.match(r.message, /member is offline/);
    }
    await B.system('START DATABASE `foo-replica` WAIT');
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
    const after = await report(hosting[0]);
    assert.deepEqual(after.map((r) => [r.state, r.lastAppliedTx, r.txAtRisk, r.secondsAtRisk]), [
      ['online', upstreamTx, 0, 0],
      ['online', upstreamTx, 0, 0],
    ]);
  });

  test('A killed: no answer; the position each member last heard, heard before the kill', async () => {
    const tx = Math.max(...(await A.txIds('foo')));
    // Both members' servers have heard tx (each reports its own member's).
    for (const url of hosting) {
      await eventually(async () => {
        const rows = await report(url);
        return rows.every((r) => r.upstreamLastTx === tx && r.txAtRisk === 0) ? rows : null;
      }, { what: `${url} at tx ${tx}` });
    }
    await A.kill();
    const killedAt = Date.now();
    const first = new Map();
    for (const url of hosting) {
      const rows = await report(url);
      assert.equal(rows.length, 2);
      for (const r of rows) {
        assert.equal(r.upstreamAnswers, false);
        assert.equal(r.upstreamLastTx, tx);
        assert.ok(r.upstreamHeardAt > 0 && r.upstreamHeardAt <= killedAt, `${r.upstreamHeardAt} > ${killedAt}`);
        assert.ok(r.upstreamLastCommitTime > 0 && r.upstreamLastCommitTime <= r.upstreamHeardAt, JSON.stringify(r));
        assert.equal(r.lastAppliedTx, tx);
        assert.equal(r.txAtRisk, 0);
        assert.equal(r.secondsAtRisk, 0);
        assert.match(r.message, /the upstream did not answer: .*127\.0\.0\.1:\d+/);
        assert.match(r.message, /position last heard by this server's member/);
      }
      first.set(url, rows[0].upstreamHeardAt);
    }
    // Later, nothing more was heard: the same time, further in the past.
    await sleep(1200);
    for (const url of hosting) {
      const rows = await report(url);
      assert.ok(rows.every((r) => r.upstreamHeardAt === first.get(url)), JSON.stringify(rows));
      assert.ok(Date.now() - rows[0].upstreamHeardAt >= 1200);
    }
    // A server without a member has heard nothing: unknown, not zero.
    const rows = await report(bystander);
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(r.lastAppliedTx, tx);
      assert.equal(r.upstreamAnswers, false);
      assert.equal(r.upstreamLastTx, null);
      assert.equal(r.upstreamHeardAt, null);
      assert.equal(r.txAtRisk, null);
      assert.equal(r.secondsAtRisk, null);
      assert.match(r.message, /runs no member of 'foo-replica'.*ask on a server hosting a member/);
    }
  });

  test('bad calls: a clear error and nothing changed', async () => {
    const before = await B.names();
    const session = B.driver(hosting[0]).session({ database: 'system' });
    const call = (args) => failure(session.run(`CALL internal.dbms.promotionReport(${args})`));
    try {
      const cases = [
        ['42', /Type mismatch for argument 'databaseName'.*expected STRING but was INTEGER/],
        ["'foo-replica', 'x'", /required number of arguments/],
        ['', /required number of arguments/],
        ["'nosuch'", /database 'nosuch' does not exist/],
        ["'plain'", /'plain' is a standard database, not a replica; nothing is at risk/],
        ["'system'", /'system' is the system database, not a replica; nothing is at risk/],
        ["'bad name!'", /invalid database name 'bad name!'/],
      ];
      for (const [args, message] of cases) {
        const e = await call(args);
        assert.equal(e.code, FAILED, `${args}: ${e.message}`);
        assert.match(e.message, message);
      }
    } finally {
      await session.close();
    }
    await B.system("CREATE USER reader SET PASSWORD 'reader-password' CHANGE NOT REQUIRED");
    const e = await failure(
      query(B.driver(hosting[0], 'reader', 'reader-password'), "CALL internal.dbms.promotionReport('foo-replica')", {}, {
        database: 'system',
      }),
    );
    assert.equal(e.code, 'Neo.ClientError.Security.Forbidden', e.message);
    await B.system('DROP USER reader');
    assert.deepEqual(await B.names(), before);
    assert.deepEqual((await B.show('foo-replica')).map((r) => r.type), ['replica', 'replica']);
  });
});
