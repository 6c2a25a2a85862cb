'use strict';
// A database with a topology: one writer in SHOW DATABASES, and its routing
// tables (1 WRITE, 2 READ, 3 ROUTE), also with
// dbms.routing.reads_on_primaries_enabled=false (READ = the secondary).
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startCluster } = require('./lib/refhost');
const { neo4j, driver, query, routingTable, eventually } = require('./lib/driver');

const sorted = (a) => [...a].sort();

async function createFoo(d) {
  await query(d, 'CREATE DATABASE foo TOPOLOGY 2 PRIMARIES 1 SECONDARY WAIT', {}, { database: 'system' });
  return eventually(async () => {
    const rows = await query(d, 'SHOW DATABASE foo', {}, { database: 'system' });
    return rows.length === 3 && rows.every((r) => r.currentStatus === 'online') ? rows : null;
  });
}

// The table as dbms.routing.getRoutingTable returns it: {role: addresses}.
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

describe('default routing', () => {
  let cluster;
  let d;
  let rows;
  before(async () => {
    cluster = await startCluster({ servers: 3 });
    d = driver(cluster.neo4j(0));
    rows = await createFoo(d);
  });
  after(async () => {
    await d?.close();
    await cluster?.stop();
  });

  test('SHOW DATABASE shows every member and exactly one writer', async () => {
    assert.deepEqual(Object.keys(rows[0]), [
      'name', 'type', 'aliases', 'access', 'address', 'role', 'writer', 'requestedStatus', 'currentStatus',
      'statusMessage', 'default', 'home', 'constituents',
    ]);
    assert.equal(rows.filter((r) => r.writer === true).length, 1);
    assert.deepEqual(sorted(rows.map((r) => r.role)), ['primary', 'primary', 'secondary']);
    assert.deepEqual(sorted(rows.map((r) => r.address)), sorted(cluster.boltAddresses));
    for (const r of rows) {
      assert.equal(r.name, 'foo');
      assert.equal(r.type, 'standard');
      assert.equal(r.access, 'read-write');
    }
    const writerRow = rows.find((r) => r.writer);
    assert.equal(writerRow.role, 'primary');
  });

  test('the routing table has 1 WRITE, 2 READ and 3 ROUTE entries, in that order', async () => {
    const writer = rows.find((r) => r.writer).address;
    const t = await procedureTable(d, 'foo');
    assert.equal(t.ttl, 300);
    assert.deepEqual(t.roles, ['WRITE', 'READ', 'ROUTE']);
    assert.deepEqual(t.WRITE, [writer]);
    assert.deepEqual(sorted(t.READ), sorted(cluster.boltAddresses.filter((a) => a !== writer)));
    assert.deepEqual(sorted(t.ROUTE), sorted(cluster.boltAddresses));

    // The same table reaches the driver through the Bolt ROUTE message.
    const session = d.session({ database: 'foo' });
    try {
      await session.executeRead((tx) => tx.run('RETURN 1'));
    } finally {
      await session.close();
    }
    const fromDriver = routingTable(d, 'foo');
    assert.deepEqual(fromDriver.writers, [writer]);
    assert.deepEqual(sorted(fromDriver.readers), sorted(t.READ));
    assert.deepEqual(sorted(fromDriver.routers), sorted(t.ROUTE));
  });

  test('reads and writes on foo go where the table says', async () => {
    const session = d.session({ database: 'foo' });
    try {
      await session.executeWrite((tx) => tx.run("CREATE (:InFoo {v: 'x'})"));
      const r = await session.executeRead((tx) => tx.run('MATCH (n:InFoo) RETURN n.v AS v'));
      assert.deepEqual(r.records.map((x) => x.get('v')), ['x']);
      assert.equal(r.summary.database.name, 'foo');
    } finally {
      await session.close();
    }
  });

  test('system and the home database are routed too', async () => {
    const sys = await procedureTable(d, 'system');
    assert.ok(sys.READ.length >= 1);
    assert.equal(sys.ROUTE.length, 3);
    const session = d.session({ defaultAccessMode: neo4j.session.READ });
    try {
      const r = await session.run('RETURN 1');
      assert.equal(r.summary.database.name, 'neo4j');
    } finally {
      await session.close();
    }
  });
});

describe('dbms.routing.reads_on_primaries_enabled=false', () => {
  let cluster;
  let d;
  let rows;
  before(async () => {
    cluster = await startCluster({ servers: 3, settings: { 'dbms.routing.reads_on_primaries_enabled': 'false' } });
    d = driver(cluster.neo4j(0));
    rows = await createFoo(d);
  });
  after(async () => {
    await d?.close();
    await cluster?.stop();
  });

  test('READ lists only the secondary; WRITE and ROUTE are unchanged', async () => {
    const writer = rows.find((r) => r.writer).address;
    const secondary = rows.find((r) => r.role === 'secondary').address;
    const t = await procedureTable(d, 'foo');
    assert.deepEqual(t.roles, ['WRITE', 'READ', 'ROUTE']);
    assert.deepEqual(t.WRITE, [writer]);
    assert.deepEqual(t.READ, [secondary]);
    assert.equal(t.ROUTE.length, 3);

    const session = d.session({ database: 'foo', defaultAccessMode: neo4j.session.READ });
    try {
      await session.run('RETURN 1');
    } finally {
      await session.close();
    }
    assert.deepEqual(routingTable(d, 'foo').readers, [secondary]);
  });
});
