'use strict';
// Failover with a lost tail, then fence on heal and re-attach without a
// store copy. Cluster B pulls foo from cluster A through a link proxy; the
// link is cut, A commits 7 more transactions B never gets, and A is killed.
// B promotes foo-replica and writes. When A comes back (and the link heals)
// B fences A's foo on its own; re-attaching foo as a replica of
// foo-replica finds the last shared transaction, undoes A's 7 into a file
// and pulls B's new ones: A's store then equals B's, and the bytes that
// crossed from B are printed next to the store's size.
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
const { proxies } = require('./lib/link_proxy');

const LOST = 7;
const FAILED = 'Neo.ClientError.Procedure.ProcedureCallFailed';
const REATTACH =
  'CALL internal.dbms.reattachAsReplica($name, {remote: $remote, addresses: $addresses}) ' +
  'YIELD database, sharedTx, lostTransactions, lostFile, upstreamDatabase, epoch, message RETURN *';

async function count(d, db, label) {
  const rows = await query(d, `MATCH (n:${label}) RETURN count(n) AS n`, {}, {
    database: db,
    defaultAccessMode: neo4j.session.READ,
  });
  return rows[0].n.toNumber();
}

// Bytes of the largest member directory of `db` in a cluster home.
function storeBytes(home, db) {
  const root = path.join(home, 'data', 'servers');
  let best = 0;
  for (const server of fs.readdirSync(root)) {
    const dir = path.join(root, server, 'databases', db);
    if (!fs.existsSync(dir)) {
      continue;
    }
    let total = 0;
    for (const f of fs.readdirSync(dir, { recursive: true })) {
      const st = fs.statSync(path.join(dir, f));
      if (st.isFile()) {
        total += st.size;
      }
    }
    best = Math.max(best, total);
  }
  return best;
}

describe('failover with a lost tail, fence on heal, re-attach', () => {
  let certs;
  let A;
  let B;
  let toA; // B -> A's cluster addresses (B's replica pulls through them)
  let toB; // A -> B's cluster addresses (A's re-attached replica pulls through them)
  let promotedAt;

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 2 }],
      ['clusterB', { certs, servers: 3 }],
    ]);
    toA = await proxies(A.clusterAddresses);
    toB = await proxies(B.clusterAddresses);
    await A.system('CREATE DATABASE foo TOPOLOGY 2 PRIMARIES WAIT');
    for (let t = 0; t < 20; t++) {
      await query(
        A.driver(),
        "UNWIND range(1, 100) AS i CREATE (:Customer {id: $t * 100 + i, name: 'customer ' + toString(i)})",
        { t: neo4j.int(t) },
        { database: 'foo' },
      );
    }
    await B.system(createReplicaQuery(), {
      name: 'foo-replica',
      primaries: neo4j.int(2),
      secondaries: neo4j.int(0),
      remote: 'foo',
      addresses: toA.map((p) => p.address),
    });
    await B.waitOnline('foo-replica', 2);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    await Promise.all([...(toA ?? []), ...(toB ?? [])].map((p) => p.close()));
    removeCertificates(certs);
  });

  test('A commits a tail B never gets, dies; B is promoted and written to', async () => {
    for (const p of toA) {
      p.cut();
    }
    for (let i = 1; i <= LOST; i++) {
      await query(A.driver(), 'CREATE (:Lost {i: $i})', { i: neo4j.int(i) }, { database: 'foo' });
    }
    await A.kill();
    const rows = await B.system("CALL internal.dbms.promoteReplicaDatabase('foo-replica')");
    assert.equal(rows.length, 0);
    promotedAt = Math.max(...(await B.txIds('foo-replica')));
    const d = B.driver();
    await eventually(async () => {
      await query(d, 'CREATE (:New {i: 0})', {}, { database: 'foo-replica' });
      return true;
    });
    await query(d, 'UNWIND range(1, 4) AS i CREATE (:New {i: i})', {}, { database: 'foo-replica' });
    assert.equal(await count(d, 'foo-replica', 'Lost'), 0);
  });

  test('A comes back writable; once the link heals, B fences it (fence on heal)', async () => {
    await A.start();
    await A.waitOnline('foo', 2);
    for (const p of toA) {
      p.heal();
    }
    const rows = await eventually(
      async () => {
        const r = await A.show('foo');
        return r.every((row) => row.access === 'read-only') ? r : null;
      },
      { timeoutMs: 20_000, what: 'foo on A fenced by fence on heal' },
    );
    assert.match(rows[0].statusMessage, /promoted away/);
    assert.match(rows[0].statusMessage, new RegExp(`since tx ${promotedAt}`));
    const err = await failure(query(A.driver(A.bolt(0)), 'CREATE (:Late)', {}, { database: 'foo' }));
    assert.ok(err.code.includes('ForbiddenOnReadOnlyDatabase') || err.code.includes('SessionExpired'), err.code);
  });

  test('re-attach: the lost transactions go to a file, only the new ones cross, the stores match', async () => {
    const rows = await A.system(REATTACH, {
      name: 'foo',
      remote: 'foo-replica',
      addresses: toB.map((p) => p.address),
    });
    assert.equal(rows.length, 1);
    const r = rows[0];
    assert.equal(r.sharedTx.toNumber(), promotedAt);
    assert.equal(r.lostTransactions.toNumber(), LOST);
    const lines = fs.readFileSync(r.lostFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, LOST);
    assert.deepEqual(
      lines.map((l) => l.txId),
      Array.from({ length: LOST }, (_, k) => promotedAt + 1 + k),
    );
    assert.ok(lines.every((l) => JSON.stringify(l.changes).includes('Lost')), JSON.stringify(lines[0]));
    assert.ok(r.lostFile.startsWith(A.home), r.lostFile);

    await waitCaughtUp(B, 'foo-replica', A, 'foo');
    assert.ok((await A.show('foo')).every((row) => row.type === 'replica'));
    const verified = await A.system("CALL internal.dbms.verifyReplicaDatabase('foo') YIELD match, message RETURN *");
    for (const v of verified) {
      assert.equal(v.match, true, v.message);
    }
    const d = A.driver(A.neo4j(0));
    assert.equal(await count(d, 'foo', 'Lost'), 0);
    assert.equal(await count(d, 'foo', 'New'), 5);
    const crossed = toB.reduce((n, p) => n + p.bytesFromTarget, 0);
    const store = storeBytes(B.home, 'foo-replica');
    console.log(
      `re-attach at tx ${promotedAt}: ${LOST} lost transactions kept in ${path.basename(r.lostFile)}; ` +
        `${crossed} bytes crossed from B (handshakes, history hashes and 5 transactions) against a store of ` +
        `${store} bytes`,
    );
    assert.ok(crossed < store / 4, `${crossed} bytes crossed for a store of ${store}`);
  });

  test('refusals: a replica, another database, the same name with another lineage; nothing changes', async () => {
    const addresses = toB.map((p) => p.address);
    let err = await failure(A.system(REATTACH, { name: 'foo', remote: 'foo-replica', addresses }));
    assert.equal(err.code, FAILED);
    assert.match(err.message, /replica already/);
    await A.system('CREATE DATABASE bar TOPOLOGY 2 PRIMARIES WAIT');
    await query(A.driver(), 'CREATE (:Bar)', {}, { database: 'bar' });
    await B.system('CREATE DATABASE bar WAIT');
    err = await failure(A.system(REATTACH, { name: 'bar', remote: 'bar', addresses }));
    assert.match(err.message, /another database \(or the same name with another lineage\)/);
    err = await failure(A.system(REATTACH, { name: 'bar', remote: 'foo-replica', addresses }));
    assert.match(err.message, /store id/);
    assert.ok((await A.show('bar')).every((row) => row.type === 'standard' && row.access === 'read-write'));
    assert.equal(await count(A.driver(), 'bar', 'Bar'), 1);
  });
});
