'use strict';
// Explicit transactions commit and roll back; executeRead/executeWrite;
// bookmarks chain sessions across servers.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startCluster } = require('./lib/refhost');
const { neo4j, driver, query } = require('./lib/driver');

let cluster;
let d;
before(async () => {
  cluster = await startCluster({ servers: 3 });
  d = driver(cluster.neo4j(0));
});
after(async () => {
  await d?.close();
  await cluster?.stop();
});

async function count(label) {
  const rows = await query(d, `MATCH (n:${label}) RETURN count(n) AS c`, {}, {
    defaultAccessMode: neo4j.session.WRITE,
  });
  return rows[0].c.toNumber();
}

test('an explicit transaction commits, and its bookmark comes back', async () => {
  const session = d.session();
  try {
    const tx = session.beginTransaction();
    await tx.run('CREATE (:Committed {k: $k})', { k: neo4j.int(1) });
    const inside = await tx.run('MATCH (n:Committed) RETURN count(n) AS c');
    assert.equal(inside.records[0].get('c').toNumber(), 1);
    await tx.commit();
    assert.equal(session.lastBookmarks().length, 1);
  } finally {
    await session.close();
  }
  assert.equal(await count('Committed'), 1);
});

test('an explicit transaction rolls back', async () => {
  const session = d.session();
  try {
    const tx = session.beginTransaction();
    await tx.run('CREATE (:RolledBack)');
    await tx.rollback();
  } finally {
    await session.close();
  }
  assert.equal(await count('RolledBack'), 0);
});

test('executeWrite and executeRead', async () => {
  const session = d.session();
  try {
    const created = await session.executeWrite(async (tx) => {
      await tx.run("CREATE (:Managed {name: 'a'})");
      await tx.run("CREATE (:Managed {name: 'b'})");
      const r = await tx.run('MATCH (n:Managed) RETURN n.name AS name ORDER BY name');
      return r.records.map((x) => x.get('name'));
    });
    assert.deepEqual(created, ['a', 'b']);
    const read = await session.executeRead((tx) => tx.run('MATCH (n:Managed) RETURN count(n) AS c'));
    assert.equal(read.records[0].get('c').toNumber(), 2);
    assert.equal(read.summary.queryType, 'r');
  } finally {
    await session.close();
  }
});

test('a failed unit of work rolls back', async () => {
  const session = d.session();
  try {
    await assert.rejects(
      session.executeWrite(async (tx) => {
        await tx.run('CREATE (:Doomed)');
        await tx.run('THIS IS NOT CYPHER');
      }),
      (e) => e.code === 'Neo.ClientError.Statement.SyntaxError',
    );
  } finally {
    await session.close();
  }
  assert.equal(await count('Doomed'), 0);
});

test('bookmarks chain sessions: a read on every member sees the write', async () => {
  await query(d, 'CREATE DATABASE chain TOPOLOGY 3 PRIMARIES WAIT');
  const writer = d.session({ database: 'chain', defaultAccessMode: neo4j.session.WRITE });
  let bookmarks;
  try {
    await writer.run("CREATE (:Chained {v: 'seen'})");
    bookmarks = writer.lastBookmarks();
  } finally {
    await writer.close();
  }
  assert.equal(bookmarks.length, 1);
  for (let i = 0; i < 3; i++) {
    const direct = driver(cluster.bolt(i));
    try {
      const session = direct.session({ database: 'chain', bookmarks, defaultAccessMode: neo4j.session.READ });
      try {
        const r = await session.run('MATCH (n:Chained) RETURN n.v AS v');
        assert.deepEqual(r.records.map((x) => x.get('v')), ['seen']);
      } finally {
        await session.close();
      }
    } finally {
      await direct.close();
    }
  }
});
