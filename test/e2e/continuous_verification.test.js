'use strict';
// Continuous verification (ccdr.replica.verify_interval, here 1s): each
// replica member compares its running content fingerprint with the
// upstream's at its own last applied tx, on its own. A row changed
// underneath the replica's member through the refhost's test hook
// (refhost.test.divergeMember: applied without a log entry, as a diverging
// apply would leave it) is found at the next round: the metric, SHOW
// DATABASE's statusMessage and an ERROR line with both fingerprints and both
// tx ids say so, and replication goes on.
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

const INTERVAL_MS = 1000;

// The last value of a per-database metric of `home` on every server
// hosting a member (metrics/<server-id>/).
function metrics(home, db, name) {
  const root = path.join(home, 'metrics');
  const file = `neo4j.database.${db}.${name}.csv`;
  const out = [];
  for (const dir of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    const csv = path.join(root, dir, file);
    if (fs.existsSync(csv)) {
      const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
      out.push(Number(lines[lines.length - 1].split(',')[1]));
    }
  }
  return out;
}
// Every member's rows, and the highest / lowest value of a metric.
const metric = (home, db, name) => Math.max(...metrics(home, db, name));
const metricMin = (home, db, name) => Math.min(...metrics(home, db, name));
async function statusMessages(cluster) {
  return (await cluster.system('SHOW DATABASE `foo-replica` YIELD statusMessage')).map((r) => r.statusMessage);
}

describe('continuous verification between cluster A and the replica cluster B', () => {
  let certs;
  let A;
  let B;

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { servers: 2, certs }],
      [
        'clusterB',
        {
          servers: 2,
          certs,
          settings: { 'ccdr.replica.verify_interval': `${INTERVAL_MS}ms`, 'refhost.test.divergence_hook': 'true' },
        },
      ],
    ]);
    await A.system('CREATE DATABASE foo TOPOLOGY 2 PRIMARIES WAIT');
    await query(A.driver(A.bolt(0)), 'UNWIND range(1, 100) AS i CREATE (:Customer {id: i, name: "c" + i})', {}, {
      database: 'foo',
    });
    await B.system(createReplicaQuery(), {
      name: 'foo-replica',
      primaries: neo4j.int(2),
      secondaries: neo4j.int(0),
      remote: 'foo',
      addresses: A.clusterAddresses,
    });
    await B.waitOnline('foo-replica', 2);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
  });
  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('an undisturbed replica is verified at its last applied tx', async () => {
    const last = Math.max(...(await A.txIds('foo')));
    const messages = await eventually(async () => {
      const m = await statusMessages(B);
      return m.length === 2 && m.every((x) => x.includes(`verified at tx ${last}`)) ? m : null;
    });
    console.log(`statusMessage: ${messages.join(' | ')}`);
    await eventually(() => metricMin(B.home, 'foo-replica', 'ccdr.replica.verify_last_verified_tx') === last);
    assert.equal(metric(B.home, 'foo-replica', 'ccdr.replica.verify_mismatch'), 0);
    assert.equal(metric(B.home, 'foo-replica', 'ccdr.replica.verify_mismatches'), 0);
  });

  test('a row changed underneath the member is found at the next round; replication goes on', async () => {
    const replica = B.driver(B.bolt(0));
    const [{ nodeId }] = await query(replica, 'MATCH (c:Customer {id: 7}) RETURN id(c) AS nodeId', {}, {
      database: 'foo-replica',
      defaultAccessMode: neo4j.session.READ,
    });
    const at = Math.max(...(await B.txIds('foo-replica')));
    const injected = Date.now();
    await query(replica, 'CALL refhost.test.divergeMember($id, "name", "tampered")', { id: nodeId }, {
      database: 'foo-replica',
      defaultAccessMode: neo4j.session.READ,
    });
    const row = await eventually(
      async () => {
        const m = (await statusMessages(B)).filter((x) => x.includes('DIVERGED'));
        return m.length === 1 ? { statusMessage: m[0] } : null;
      },
      { timeoutMs: 10 * INTERVAL_MS, intervalMs: 50 },
    );
    const found = Date.now() - injected;
    console.log(`divergence found ${found} ms after the injection (interval ${INTERVAL_MS} ms): ${row.statusMessage}`);
    assert.match(row.statusMessage, new RegExp(`DIVERGED from the upstream at tx ${at}`));
    // The tx did not move: the hook logged nothing.
    assert.equal(Math.max(...(await B.txIds('foo-replica'))), at);
    const log = fs.readFileSync(path.join(B.home, 'logs', 'debug.log'), 'utf8');
    const line = log.split('\n').find((l) => l.includes('content differs from upstream'));
    assert.ok(line, 'an ERROR line names the divergence');
    assert.match(line, /ERROR/);
    const both = line.match(/running fingerprint ([0-9a-f]{32}) at tx (\d+), the upstream at \S+ has ([0-9a-f]{32}) at tx (\d+)/);
    assert.ok(both, line);
    assert.notEqual(both[1], both[3]);
    assert.equal(Number(both[2]), at);
    assert.equal(Number(both[4]), at);
    await eventually(() => metric(B.home, 'foo-replica', 'ccdr.replica.verify_mismatch') === 1);
    assert.ok(metric(B.home, 'foo-replica', 'ccdr.replica.verify_mismatches') >= 1);

    // Replication is not stopped by it.
    await query(A.driver(A.bolt(0)), 'UNWIND range(101, 150) AS i CREATE (:Customer {id: i})', {}, { database: 'foo' });
    const caughtUp = await waitCaughtUp(A, 'foo', B, 'foo-replica');
    assert.ok(caughtUp > at);
    const [{ n }] = await query(replica, 'MATCH (c:Customer) RETURN count(c) AS n', {}, {
      database: 'foo-replica',
      defaultAccessMode: neo4j.session.READ,
    });
    assert.equal(Number(n), 150);
    // Still diverged at the new position (the tampered row is still there).
    // The other member, untouched, verifies the new position.
    await eventually(async () => {
      const m = await statusMessages(B);
      return (
        m.some((x) => x.includes(`DIVERGED from the upstream at tx ${caughtUp}`)) &&
        m.some((x) => x.includes(`verified at tx ${caughtUp}`))
      );
    });
    assert.equal(metricMin(B.home, 'foo-replica', 'ccdr.replica.verify_last_verified_tx'), at);
  });

  test('the hook is a test hook: refused without its setting, and on the upstream it is off', async () => {
    const e = await failure(query(A.driver(A.bolt(0)), 'CALL refhost.test.divergeMember(0, "name", "x")', {}, { database: 'foo' }));
    assert.equal(e.code, 'Neo.ClientError.Procedure.ProcedureCallFailed');
    assert.match(e.message, /refhost\.test\.divergence_hook=true/);
  });
});
