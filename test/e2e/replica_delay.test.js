'use strict';
// Delayed apply and promotion to a point (docs/operations.md §11). Cluster B
// replicates foo with applyDelay 15s. A writes 500 nodes, then the mistake
// (MATCH (n) DETACH DELETE n) and 2 more transactions. B receives all of it
// at once (statusMessage: received tx = A's last) but still holds the 500
// nodes, for 300 concurrent readers too. A is killed and B restarted: what B
// received comes back from its delay spool, not from A. Promotion
// {upToTime: <a time between the last write and the delete>} gives a
// writable database with the 500 nodes and nothing after, and the 3
// transactions after the point in the file the procedure names. Bad options
// are refused first, and change nothing.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { generateCertificates, removeCertificates, startDrClusters } = require('./lib/clusters');
const { neo4j, driver, query, failure, eventually } = require('./lib/driver');

const DELAY = '15s';
const NODES = 500;
const READERS = 300;
const CREATE =
  'CALL internal.dbms.createReplicaDatabase($name, 1, 0, {remote: $remote, addresses: $addresses, applyDelay: $delay})';
const PROMOTE =
  'CALL internal.dbms.promoteReplicaDatabase($name, $options) ' +
  'YIELD database, promotedAtTx, appliedAtPromotion, keptTransactions, keptFile, message RETURN *';

async function count(d, db, where = '') {
  const rows = await query(d, `MATCH (n${where}) RETURN count(n) AS n`, {}, {
    database: db,
    defaultAccessMode: neo4j.session.READ,
  });
  return rows[0].n.toNumber();
}

// {received, applied} from the member's statusMessage.
async function positions(B) {
  const rows = await B.show('foo-replica');
  const m = /received tx (\d+), applied tx (\d+)/.exec(rows[0].statusMessage);
  return m ? { received: Number(m[1]), applied: Number(m[2]), message: rows[0].statusMessage } : null;
}

describe('applyDelay and promotion to a point', () => {
  let certs;
  let A;
  let B;
  let pointTime;
  let lastDataTx;
  let lastTx;

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 1 }],
      ['clusterB', { certs, servers: 1 }],
    ]);
    await A.system('CREATE DATABASE foo WAIT');
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('a bad applyDelay is refused and creates nothing', async () => {
    const cases = [
      ['-5s', /applyDelay '-5s' is negative/],
      ['soon', /applyDelay 'soon': expected a duration/],
      [15, /applyDelay must be a STRING duration/],
    ];
    for (const [delay, why] of cases) {
      const err = await failure(
        B.system(CREATE, { name: 'foo-replica', remote: 'foo', addresses: A.clusterAddresses, delay }),
      );
      assert.equal(err.code, 'Neo.ClientError.Procedure.ProcedureCallFailed');
      assert.match(err.message, why);
    }
    const err = await failure(
      B.system(
        'CALL internal.dbms.createReplicaDatabase("foo-replica", 1, 0, {remote: "foo", addresses: $a, applyDelai: "1s"})',
        { a: A.clusterAddresses },
      ),
    );
    assert.match(err.message, /unknown key 'applyDelai'/);
    assert.ok((await B.names()).every((n) => !n.startsWith('foo-replica')));
  });

  test('the replica receives at once and applies 15 s after the commit', async () => {
    await B.system(CREATE, { name: 'foo-replica', remote: 'foo', addresses: A.clusterAddresses, delay: DELAY });
    await B.waitOnline('foo-replica', 1);
    const err = await failure(B.system('CALL internal.dbms.alterReplicaDatabase("foo-replica", {applyDelay: "-1h"})'));
    assert.match(err.message, /applyDelay '-1h' is negative.*nothing was changed/);
    for (let t = 0; t < 10; t++) {
      await query(A.driver(), 'UNWIND range(1, 50) AS i CREATE (:Customer {id: $t * 50 + i})', { t: neo4j.int(t) }, {
        database: 'foo',
      });
    }
    lastDataTx = Math.max(...(await A.txIds('foo')));
    const received = await eventually(async () => {
      const p = await positions(B);
      return p && p.received === lastDataTx ? p : null;
    });
    assert.match(received.message, /applyDelay 15s/);
    assert.ok(received.applied < lastDataTx, `applied ${received.applied} of ${lastDataTx} at once`);
    assert.ok((await count(B.driver(), 'foo-replica')) < NODES);
    await eventually(async () => (await count(B.driver(), 'foo-replica')) === NODES, {
      timeoutMs: 40_000,
      what: 'the 500 nodes applied after the delay',
    });
  });

  test('bad promotion options are refused and change nothing', async () => {
    const cases = [
      [{ upToTx: neo4j.int(lastDataTx + 100) }, new RegExp(`upToTx ${lastDataTx + 100} is beyond what .* tx ${lastDataTx}`)],
      [{ upToTx: neo4j.int(1) }, /has already applied tx \d+ .* a promotion cannot go back/],
      [{ upToTime: true }, /upToTime must be a DATETIME/],
      [{ upToTime: '6 December, noon' }, /is not an ISO-8601 date-time/],
      [{ upToTx: neo4j.int(lastDataTx), upToTime: new Date().toISOString() }, /not both/],
      [{ upTo: neo4j.int(3) }, /unknown option 'upTo'/],
    ];
    for (const [options, why] of cases) {
      const err = await failure(B.system(PROMOTE, { name: 'foo-replica', options }));
      assert.equal(err.code, 'Neo.ClientError.Procedure.ProcedureCallFailed');
      assert.match(err.message, why);
    }
    // A LOCAL DATETIME names no instant: the host refuses it before the plugin.
    const local = await failure(
      B.system('CALL internal.dbms.promoteReplicaDatabase("foo-replica", {upToTime: $t})', {
        t: neo4j.types.LocalDateTime.fromStandardDate(new Date()),
      }),
    );
    assert.match(local.message, /LOCAL DATETIME value, which plugin procedures cannot take/);
    const unparsable = await failure(
      B.system('CALL internal.dbms.promoteReplicaDatabase("foo-replica", {upToTime: datetime("noon")})'),
    );
    assert.equal(unparsable.code, 'Neo.ClientError.Statement.ArgumentError');
    const rows = await B.show('foo-replica');
    assert.equal(rows[0].type, 'replica');
  });

  test('the mistake is received but not applied: 300 readers still see the data', async () => {
    await new Promise((r) => setTimeout(r, 300));
    pointTime = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 300));
    await query(A.driver(), 'MATCH (n) DETACH DELETE n', {}, { database: 'foo' });
    await query(A.driver(), 'CREATE (:After {i: 1})', {}, { database: 'foo' });
    await query(A.driver(), 'CREATE (:After {i: 2})', {}, { database: 'foo' });
    lastTx = Math.max(...(await A.txIds('foo')));
    assert.equal(lastTx, lastDataTx + 3);
    await eventually(async () => {
      const p = await positions(B);
      return p && p.received === lastTx ? p : null;
    });
    const drivers = [0, 1, 2].map(() => driver(B.bolt(0), 'neo4j', B.password, { maxConnectionPoolSize: 110 }));
    try {
      const seen = await Promise.all(
        Array.from({ length: READERS }, (_, i) => count(drivers[i % drivers.length], 'foo-replica')),
      );
      assert.deepEqual(new Set(seen), new Set([NODES]));
    } finally {
      await Promise.all(drivers.map((d) => d.close()));
    }
  });

  test('upstream lost, replica restarted: the spool still holds what was received', async () => {
    await A.kill();
    await B.restart();
    // With A down the member cannot reach its upstream's position after the
    // restart: it is up, serving reads, and shown as starting.
    const [row] = await eventually(async () => {
      const rows = await B.show('foo-replica');
      return rows.length === 1 && /disconnected: /.test(rows[0].statusMessage) ? rows : null;
    });
    assert.equal(row.currentStatus, 'starting');
    assert.match(row.statusMessage, /^first catch-up; disconnected: /);
    const p = await eventually(async () => positions(B));
    assert.equal(p.received, lastTx);
    assert.equal(await count(B.driver(), 'foo-replica'), NODES);
  });

  test('promotion {upToTime} just before the delete: the data, nothing after, the rest in the file', async () => {
    // As an operator writes it: a Cypher datetime, which the host hands to the
    // plugin as its ISO-8601 text.
    const rows = await B.system(
      'CALL internal.dbms.promoteReplicaDatabase($name, {upToTime: datetime($t)}) ' +
        'YIELD database, promotedAtTx, appliedAtPromotion, keptTransactions, keptFile, message RETURN *',
      { name: 'foo-replica', t: pointTime },
    );
    assert.equal(rows.length, 1);
    const r = rows[0];
    assert.equal(r.promotedAtTx.toNumber(), lastDataTx);
    assert.equal(r.keptTransactions.toNumber(), 3);
    const lines = fs.readFileSync(r.keptFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.txId), [lastDataTx + 1, lastDataTx + 2, lastDataTx + 3]);
    assert.ok(lines.every((l) => l.commitTimeMs > Date.parse(pointTime) && l.payloadBase64.length > 0));
    const d = B.driver();
    await eventually(async () => {
      await query(d, 'CREATE (:Written {at: 1})', {}, { database: 'foo-replica' });
      return true;
    });
    assert.equal(await count(d, 'foo-replica', ':Customer'), NODES);
    assert.equal(await count(d, 'foo-replica', ':After'), 0);
    assert.equal(await count(d, 'foo-replica', ':Written'), 1);
    const shown = await B.show('foo-replica');
    assert.equal(shown[0].type, 'standard');
  });
});
