'use strict';
// bolt:// and neo4j:// connectivity against a real refhost with 3 servers,
// and a wrong password.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startCluster } = require('./lib/refhost');
const { neo4j, driver, query, failure } = require('./lib/driver');

let cluster;
before(async () => {
  cluster = await startCluster({ servers: 3 });
  // The home database has one member; this one is on every server.
  const d = driver(cluster.neo4j(0));
  try {
    await query(d, 'CREATE DATABASE everywhere TOPOLOGY 3 PRIMARIES WAIT');
  } finally {
    await d.close();
  }
});
after(async () => {
  await cluster?.stop();
});

test('bolt:// reaches every server directly, on Bolt 5.8', async () => {
  for (let i = 0; i < 3; i++) {
    const d = driver(cluster.bolt(i));
    try {
      const info = await d.getServerInfo();
      assert.equal(info.address, cluster.boltAddresses[i]);
      assert.equal(info.protocolVersion.major, 5);
      assert.equal(info.protocolVersion.minor, 8);
      assert.match(info.agent, /^Neo4j\//);
      const rows = await query(d, 'RETURN 1 AS x', {}, { database: 'everywhere' });
      assert.equal(rows.length, 1);
      assert.ok(neo4j.isInt(rows[0].x));
      assert.equal(rows[0].x.toNumber(), 1);
    } finally {
      await d.close();
    }
  }
});

test('neo4j:// fetches a routing table and runs reads and writes', async () => {
  const d = driver(cluster.neo4j(1));
  try {
    await d.verifyConnectivity();
    const session = d.session();
    try {
      const written = await session.executeWrite((tx) => tx.run('CREATE (n:Probe {k: 1}) RETURN n.k AS k'));
      assert.equal(written.records[0].get('k').toNumber(), 1);
      const read = await session.executeRead((tx) => tx.run('MATCH (n:Probe) RETURN count(n) AS c'));
      assert.equal(read.records[0].get('c').toNumber(), 1);
      assert.equal(read.summary.database.name, 'neo4j');
    } finally {
      await session.close();
    }
  } finally {
    await d.close();
  }
});

test('a wrong password is Neo.ClientError.Security.Unauthorized', async () => {
  for (const url of [cluster.bolt(0), cluster.neo4j(2)]) {
    const d = driver(url, 'neo4j', 'wrong');
    try {
      const e = await failure(query(d, 'RETURN 1'));
      assert.equal(e.code, 'Neo.ClientError.Security.Unauthorized');
      assert.equal(e.retriable, false);
    } finally {
      await d.close();
    }
  }
  // The driver's own check reports an unknown user as false, not as an error.
  const unknown = driver(cluster.bolt(0), 'nobody', 'secret');
  try {
    assert.equal(await unknown.verifyAuthentication(), false);
  } finally {
    await unknown.close();
  }
});
