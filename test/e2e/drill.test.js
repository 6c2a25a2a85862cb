'use strict';
// A DR drill without touching the replica (issue 16, item 5):
// internal.dbms.createDrillDatabase('foo-replica', 'foo-drill') on the
// replica's cluster makes a writable standard database from the replica's
// current content, copied inside cluster B, while 100 clients keep writing
// to foo on A and replication into foo-replica goes on. 200 clients then
// write to the drill at once; none of it reaches the replica or A, and
// nothing of A's later writes reaches the drill. Bad calls change nothing.
// DROP DATABASE ends the drill.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { generateCertificates, removeCertificates, startDrClusters, waitCaughtUp, createReplicaQuery } = require(
  './lib/clusters',
);
const { neo4j, query, failure, eventually } = require('./lib/driver');

const WRITERS = 100;
const DRILL_CLIENTS = 200;
const COLUMNS = ['database', 'replica', 'copiedAtTx', 'copiedFromServer', 'primaries', 'secondaries', 'message'];
const plain = (r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, neo4j.isInt(v) ? v.toNumber() : v]));

describe('internal.dbms.createDrillDatabase', () => {
  let certs;
  let A;
  let B;

  const count = async (cluster, db, label, mode = neo4j.session.READ) => {
    const rows = await query(cluster.driver(cluster.neo4j(0)), `MATCH (n:${label}) RETURN count(n) AS c`, {}, {
      database: db,
      defaultAccessMode: mode,
    });
    return rows[0].c.toNumber();
  };

  // `n` clients, each committing single-node transactions into `db` of
  // `cluster` until `stop()` (or `perClient` commits each); the number committed.
  function writers(cluster, db, label, n, perClient = Infinity) {
    const d = cluster.driver(cluster.neo4j(0), 'neo4j', cluster.password, { maxConnectionPoolSize: n + 10 });
    let stopping = false;
    let committed = 0;
    const clients = Array.from({ length: n }, async (_, c) => {
      const session = d.session({ database: db });
      try {
        for (let i = 0; i < perClient && !stopping; i++) {
          await session.executeWrite((tx) => tx.run(`CREATE (:${label} {client: $c, i: $i})`, {
            c: neo4j.int(c),
            i: neo4j.int(i),
          }));
          committed++;
        }
      } finally {
        await session.close();
      }
    });
    return {
      async stop() {
        stopping = true;
        await Promise.all(clients);
        return committed;
      },
      done: Promise.all(clients).then(() => committed),
    };
  }

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 1 }],
      ['clusterB', { certs, servers: 3 }],
    ]);
    await A.system('CREATE DATABASE foo WAIT');
    await writers(A, 'foo', 'Item', 10, 20).done;
    await B.system(createReplicaQuery(), {
      name: 'foo-replica',
      primaries: neo4j.int(1),
      secondaries: neo4j.int(1),
      remote: 'foo',
      addresses: A.clusterAddresses,
    });
    await B.waitOnline('foo-replica', 2);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
    await B.system('CREATE DATABASE plain WAIT');
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('a drill under 100 upstream writers: a writable copy, replication goes on, nothing crosses', async () => {
    const load = writers(A, 'foo', 'Item', WRITERS);
    // The replica moves while the drill is made.
    const before = Math.min(...(await B.txIds('foo-replica')));
    await eventually(async () => Math.min(...(await B.txIds('foo-replica'))) > before + 50 || null);
    const rows = (await B.system("CALL internal.dbms.createDrillDatabase('foo-replica', 'foo-drill')")).map(plain);
    assert.equal(rows.length, 1);
    const r = rows[0];
    assert.deepEqual(Object.keys(r), COLUMNS);
    assert.equal(r.database, 'foo-drill');
    assert.equal(r.replica, 'foo-replica');
    assert.equal(r.primaries, 1);
    assert.equal(r.secondaries, 0);
    assert.ok(r.copiedAtTx > before + 50, JSON.stringify(r));
    assert.match(r.message, /writable copy of 'foo-replica' at tx \d+; replication into 'foo-replica' goes on/);
    const servers = (await B.system('SHOW SERVERS YIELD serverId RETURN serverId')).map((s) => s.serverId);
    assert.ok(servers.includes(r.copiedFromServer), r.copiedFromServer);

    // The replica keeps applying after the copy.
    await eventually(async () => Math.min(...(await B.txIds('foo-replica'))) > r.copiedAtTx + 50 || null);
    const committed = await load.stop();
    const upstreamTx = await waitCaughtUp(A, 'foo', B, 'foo-replica');
    assert.ok(upstreamTx > r.copiedAtTx);

    // The drill: a standard, writable database holding exactly the copy
    // (every transaction of foo creates one Item).
    const [show] = await B.system(
      "SHOW DATABASE `foo-drill` YIELD type, access, currentStatus, options, lastCommittedTxn",
    );
    assert.equal(show.type, 'standard');
    assert.equal(show.access, 'read-write');
    assert.equal(show.currentStatus, 'online');
    assert.equal(show.options.drillOf, 'foo-replica');
    assert.equal(Number(show.lastCommittedTxn), r.copiedAtTx);
    assert.equal(await count(B, 'foo-drill', 'Item'), r.copiedAtTx);

    // 200 clients write to the drill at once.
    const drillWrites = await writers(B, 'foo-drill', 'Drill', DRILL_CLIENTS, 3).done;
    assert.equal(drillWrites, DRILL_CLIENTS * 3);
    assert.equal(await count(B, 'foo-drill', 'Drill'), DRILL_CLIENTS * 3);

    // Nothing crossed: the replica and A have A's items and no drill nodes;
    // the drill has none of A's writes after the copy.
    const upstreamItems = await count(A, 'foo', 'Item', neo4j.session.WRITE);
    assert.equal(upstreamItems, 200 + committed);
    assert.equal(await count(B, 'foo-replica', 'Item'), upstreamItems);
    assert.equal(await count(B, 'foo-replica', 'Drill'), 0);
    assert.equal(await count(A, 'foo', 'Drill', neo4j.session.WRITE), 0);
    assert.equal(await count(B, 'foo-drill', 'Item'), r.copiedAtTx);
    assert.deepEqual(await B.txIds('foo-replica'), [upstreamTx, upstreamTx]);

    // The replica is still a read-only replica.
    const [replica] = await B.system('SHOW DATABASE `foo-replica` YIELD type, access RETURN DISTINCT type, access');
    assert.deepEqual(replica, { type: 'replica', access: 'read-only' });
  });

  test('bad calls: a clear error and nothing created', async () => {
    const before = await B.names();
    const session = B.driver(B.bolt(0)).session({ database: 'system' });
    const call = (args) => failure(session.run(`CALL internal.dbms.createDrillDatabase(${args})`));
    try {
      const cases = [
        ["'foo-replica', 'foo-drill'", /database 'foo-drill' already exists; choose another drill name/],
        ["'foo-replica', 'foo-replica'", /database 'foo-replica' already exists/],
        ["'nosuch', 'drill1'", /database 'nosuch' does not exist; nothing was created/],
        ["'plain', 'drill1'", /'plain' is a standard database, not a replica: a drill copies a replica/],
        ["'system', 'drill1'", /replicaDatabaseName: invalid database name 'system'/],
        ["'foo-replica', 'bad name!'", /drillDatabaseName: .*bad name!/],
        ["'foo-replica', 'drill1', {primaries: 0}", /primaries|primary/],
        ["'foo-replica', 'drill1', {secondaries: -1}", /secondaries/],
        ["'foo-replica', 'drill1', {primaries: 1, colour: 'red'}", /unknown option 'colour' \(the options are: primaries, secondaries\)/],
        ["'foo-replica', 'drill1', {primaries: 4}", /cannot create the drill 'drill1'.*nothing was created/],
        ["'foo-replica', 'drill1', 'x'", /Type mismatch for argument 'options'|options must be a MAP/],
        ["'foo-replica'", /required number of arguments/],
        ["42, 'drill1'", /Type mismatch for argument 'replicaDatabaseName'/],
      ];
      for (const [args, expected] of cases) {
        const e = await call(args);
        assert.equal(e.code, 'Neo.ClientError.Procedure.ProcedureCallFailed', `${args}: ${e.code} ${e.message}`);
        assert.match(e.message, expected, args);
      }
    } finally {
      await session.close();
    }
    assert.deepEqual(await B.names(), before);
  });

  test('DROP DATABASE ends the drill; the replica goes on', async () => {
    await B.system('DROP DATABASE `foo-drill` WAIT');
    assert.deepEqual(await B.show('foo-drill'), []);
    await writers(A, 'foo', 'Item', 20, 5).done;
    const tx = await waitCaughtUp(A, 'foo', B, 'foo-replica');
    assert.equal(await count(B, 'foo-replica', 'Item'), await count(A, 'foo', 'Item', neo4j.session.WRITE));
    assert.ok(tx > 0);
    // The name can be used again: a second drill at the replica's new position.
    const [again] = (await B.system("CALL internal.dbms.createDrillDatabase('foo-replica', 'foo-drill', {primaries: 2})")).map(plain);
    assert.equal(again.copiedAtTx, tx);
    assert.equal(again.primaries, 2);
    assert.deepEqual(await B.txIds('foo-drill'), [tx, tx]);
    await B.system('DROP DATABASE `foo-drill` WAIT');
  });
});
