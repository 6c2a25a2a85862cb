'use strict';
// The error codes of DESIGN.md §6 as the driver reports them.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startCluster } = require('./lib/refhost');
const { neo4j, driver, query, failure } = require('./lib/driver');

let cluster;
let d;
before(async () => {
  cluster = await startCluster({ servers: 3, users: [{ name: 'reader', role: 'reader', password: 'readpw' }] });
  d = driver(cluster.neo4j(0));
});
after(async () => {
  await d?.close();
  await cluster?.stop();
});

test('Cypher outside the subset is a SyntaxError naming the position', async () => {
  const e = await failure(query(d, 'RETURN 1 +'));
  assert.equal(e.code, 'Neo.ClientError.Statement.SyntaxError');
  assert.equal(e.gqlStatus, '42001');
  assert.match(e.message, /line \d+, column \d+/);
  assert.equal(e.retriable, false);
});

test('an unknown database is DatabaseNotFound, routed or direct', async () => {
  const routed = await failure(query(d, 'RETURN 1', {}, { database: 'nope' }));
  assert.equal(routed.code, 'Neo.ClientError.Database.DatabaseNotFound');
  assert.equal(routed.gqlStatus, '22N51');
  const direct = driver(cluster.bolt(1));
  try {
    const e = await failure(query(direct, 'RETURN 1', {}, { database: 'nope' }));
    assert.equal(e.code, 'Neo.ClientError.Database.DatabaseNotFound');
  } finally {
    await direct.close();
  }
});

test('an unknown procedure is ProcedureNotFound', async () => {
  const e = await failure(query(d, 'CALL no.such.procedure()'));
  assert.equal(e.code, 'Neo.ClientError.Procedure.ProcedureNotFound');
});

test('administration as `reader` is Forbidden', async () => {
  const r = driver(cluster.neo4j(0), 'reader', 'readpw');
  try {
    const rows = await query(r, 'RETURN 1 AS x');
    assert.equal(rows[0].x.toNumber(), 1);
    const e = await failure(query(r, 'CREATE DATABASE forbidden'));
    assert.equal(e.code, 'Neo.ClientError.Security.Forbidden');
  } finally {
    await r.close();
  }
});

test('a write in a READ transaction is AccessMode', async () => {
  const session = d.session();
  try {
    const e = await failure(session.executeRead((tx) => tx.run('CREATE (:NotAllowed)')));
    assert.equal(e.code, 'Neo.ClientError.Statement.AccessMode');
    assert.equal(e.retriable, false);
  } finally {
    await session.close();
  }
});

test('a direct write to a member that is not the writer is NotALeader', async () => {
  await query(d, 'CREATE DATABASE multi TOPOLOGY 3 PRIMARIES WAIT');
  const rows = await query(d, 'SHOW DATABASE multi YIELD address, writer');
  const writer = rows.find((r) => r.writer).address;
  const other = cluster.boltAddresses.find((a) => a !== writer);
  assert.ok(other, `no member other than the writer ${writer}`);
  const direct = driver(`bolt://${other}`);
  try {
    const e = await failure(query(direct, 'CREATE (:Misdirected)', {}, { database: 'multi' }));
    assert.equal(e.code, 'Neo.ClientError.Cluster.NotALeader');
  } finally {
    await direct.close();
  }
});
