'use strict';
// Planned switchover with zero loss, as an operator runs it for a DR drill:
// cluster A (3 servers) holds foo on 3 primaries, cluster B (5 servers)
// foo-replica on 3 primaries + 2 secondaries (the seed's topology). Sixteen
// clients write to A through the switchover and move to B when A refuses;
// every write A acknowledged must be on B, and the window in which writes
// were refused is printed. Then the same call on A brings the writer back,
// again without a store copy, and the fingerprints of both sides match.
// Tests run in order on the same clusters.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  generateCertificates,
  removeCertificates,
  startDrClusters,
  waitCaughtUp,
  createReplicaQuery,
} = require('./lib/clusters');
const { neo4j, query, failure } = require('./lib/driver');

const CLIENTS = 16;
const FAILED = 'Neo.ClientError.Procedure.ProcedureCallFailed';
const SWITCHOVER =
  'CALL internal.dbms.switchoverReplicaDatabase($name) YIELD database, epoch, switchedAtTx, upstreamDatabase, ' +
  'upstreamIsReplica, writesRefusedMs, message RETURN *';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One client: writes (:W {c, i}) to `first` until it is refused, then to
// `second` until it has written `after` more there. Records every
// acknowledged write with the cluster that acknowledged it, and the time
// from its first refusal to its first acknowledgement on `second`.
async function client(c, first, second, state) {
  const acked = [];
  let i = 0;
  let target = first;
  let refusedAt = null;
  let movedAt = null;
  let onSecond = 0;
  while (onSecond < 5) {
    if (state.stop) {
      break;
    }
    i += 1;
    const session = target.driver.session({ database: target.db });
    try {
      await session.run('CREATE (:W {c: $c, i: $i})', { c: neo4j.int(c), i: neo4j.int(i) });
      acked.push({ c, i, where: target.name, at: Date.now() });
      if (target === second) {
        onSecond += 1;
        if (movedAt === null) {
          movedAt = Date.now();
        }
      }
    } catch (e) {
      if (refusedAt === null) {
        refusedAt = Date.now();
      }
      target = second;
      await sleep(5);
    } finally {
      await session.close();
    }
    if (target === first) {
      await sleep(2);
    }
  }
  return { acked, refusedMs: refusedAt !== null && movedAt !== null ? movedAt - refusedAt : null };
}

async function keysOn(d, db, access = neo4j.session.WRITE) {
  const rows = await query(d, 'MATCH (w:W) RETURN w.c AS c, w.i AS i', {}, { database: db, defaultAccessMode: access });
  return new Set(rows.map((r) => `${r.c.toNumber()}/${r.i.toNumber()}`));
}

describe('planned switchover A -> B -> A with 16 clients writing', () => {
  let certs;
  let A;
  let B;
  let aDriver;
  let bDriver;

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 3 }],
      ['clusterB', { certs, servers: 5 }],
    ]);
    await A.system('CREATE DATABASE foo TOPOLOGY 3 PRIMARIES WAIT');
    aDriver = A.driver();
    bDriver = B.driver();
    await query(aDriver, 'UNWIND range(1, 50) AS i CREATE (:Seed {i: i})', {}, { database: 'foo' });
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

  test('every acknowledged write is on the new primary; A acknowledges nothing after its fence', async () => {
    const state = { stop: false };
    const first = { name: 'A', driver: aDriver, db: 'foo' };
    const second = { name: 'B', driver: bDriver, db: 'foo-replica' };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c, first, second, state));
    await sleep(500);
    // One transaction far larger than a batch (ccdr.batch.max_bytes, 1 MiB):
    // ~2.6 MB of changes, committed by A or refused, never half replicated.
    const big = query(
      aDriver,
      'UNWIND range(1, 20000) AS i CREATE (:Big {i: i, pad: $pad})',
      { pad: 'x'.repeat(100) },
      { database: 'foo' },
    ).then(
      () => true,
      () => false,
    );
    let rows;
    try {
      rows = await B.system(SWITCHOVER, { name: 'foo-replica' });
    } catch (e) {
      state.stop = true;
      await Promise.all([...clients, big]);
      throw e;
    }
    const results = await Promise.all(clients);
    const bigAcked = await big;
    assert.equal(rows.length, 1);
    const r = rows[0];
    assert.equal(r.database, 'foo-replica');
    assert.equal(r.upstreamDatabase, 'foo');
    assert.equal(r.upstreamIsReplica, true, r.message);
    const switchedAt = r.switchedAtTx.toNumber();

    const all = results.flatMap((x) => x.acked);
    const onA = all.filter((w) => w.where === 'A');
    assert.ok(onA.length > 0, 'the clients wrote to A before the fence');
    assert.equal(all.filter((w) => w.where === 'B').length, CLIENTS * 5);
    // Everything A acknowledged committed before its fence: it is on B.
    const present = await keysOn(bDriver, 'foo-replica');
    for (const w of all) {
      assert.ok(present.has(`${w.c}/${w.i}`), `write ${w.c}/${w.i} acknowledged by ${w.where} is missing on B`);
    }
    const bigOnB = await query(bDriver, 'MATCH (n:Big) RETURN count(n) AS n', {}, { database: 'foo-replica' });
    assert.equal(bigOnB[0].n.toNumber(), bigAcked ? 20000 : 0);
    // A is a replica of foo-replica now and follows it.
    const shown = await A.show('foo');
    assert.ok(shown.every((row) => row.type === 'replica'), JSON.stringify(shown));
    await waitCaughtUp(B, 'foo-replica', A, 'foo');
    const onAAfter = await keysOn(aDriver, 'foo', neo4j.session.READ);
    assert.equal(onAAfter.size, present.size);
    const err = await failure(query(A.driver(A.bolt(0)), 'CREATE (:W {c: -1})', {}, { database: 'foo' }));
    assert.ok(err.code.includes('ForbiddenOnReadOnlyDatabase') || err.code.includes('SessionExpired'), err.code);

    const refused = results.map((x) => x.refusedMs).filter((x) => x !== null).sort((a, b) => a - b);
    console.log(
      `switchover A->B at tx ${switchedAt}: ${onA.length} writes acknowledged by A, all on B ` +
        `(and a 20 000-node transaction ${bigAcked ? 'acknowledged, all on B' : 'refused, none on B'}); writes refused ` +
        `${r.writesRefusedMs.toNumber()} ms (fence to promotion, procedure); per client from first refusal to ` +
        `first write on B: median ${refused[refused.length >> 1]} ms, max ${refused[refused.length - 1]} ms`,
    );
  });

  test('switching back returns the writer to A without a store copy; fingerprints match', async () => {
    const before = Math.max(...(await A.txIds('foo')));
    const rows = await A.system(SWITCHOVER, { name: 'foo' });
    assert.equal(rows[0].upstreamIsReplica, true, rows[0].message);
    assert.equal(rows[0].switchedAtTx.toNumber(), before);
    await A.waitOnline('foo', 3);
    await query(aDriver, 'UNWIND range(1, 10) AS i CREATE (:Back {i: i})', {}, { database: 'foo' });
    const shown = await B.show('foo-replica');
    assert.ok(shown.every((row) => row.type === 'replica'), JSON.stringify(shown));
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
    const verified = await B.system(
      "CALL internal.dbms.verifyReplicaDatabase('foo-replica') YIELD match, message RETURN match, message",
    );
    assert.ok(verified.length > 0);
    for (const v of verified) {
      assert.equal(v.match, true, v.message);
    }
    // No store copy in either direction: only transactions moved.
    for (const [cluster, db] of [
      [A, 'foo'],
      [B, 'foo-replica'],
    ]) {
      const subs = await cluster.system(
        `CALL internal.dbms.showReplicaSubscriptions('${db}') YIELD storeCopiesServed RETURN storeCopiesServed`,
      );
      for (const s of subs) {
        assert.equal(s.storeCopiesServed.toNumber(), 0);
      }
    }
  });

  test('refusals: a standard database, an unknown one, bad options; nothing changes', async () => {
    let err = await failure(A.system(SWITCHOVER, { name: 'foo' }));
    assert.equal(err.code, FAILED);
    assert.match(err.message, /not a replica/);
    err = await failure(B.system(SWITCHOVER, { name: 'nope' }));
    assert.match(err.message, /does not exist/);
    err = await failure(
      B.system("CALL internal.dbms.switchoverReplicaDatabase('foo-replica', {timeout: 'soon'})"),
    );
    assert.match(err.message, /timeout must be a duration/);
    assert.ok((await B.show('foo-replica')).every((row) => row.type === 'replica'));
    assert.ok((await A.show('foo')).every((row) => row.type === 'standard'));
    await query(aDriver, 'CREATE (:After)', {}, { database: 'foo' });
  });
});
