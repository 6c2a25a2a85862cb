'use strict';
// What SHOW DATABASE says of a replica member, through neo4j-driver
// (docs/operations.md "Member states"): "starting" until the member has once
// reached its upstream's position (reads work meanwhile, at the member's
// applied position), then "online"; "dirty" when it failed on an error it
// will not retry; replicationLag in transactions, never negative, null
// until the upstream's position is known; an `addresses` entry naming a
// Bolt port said to be one. Cluster A: 1 server; cluster B: 1 server.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { generateCertificates, removeCertificates, startDrClusters, waitCaughtUp, createReplicaQuery } =
  require('./lib/clusters');
const { neo4j, query, failure, eventually } = require('./lib/driver');

const READ = neo4j.session.READ;

async function count(cluster, database) {
  const rows = await query(cluster.driver(), 'MATCH (n:Item) RETURN count(n) AS n', {}, {
    database,
    defaultAccessMode: READ,
  });
  return rows[0].n.toNumber();
}

async function writeTxs(cluster, db, n) {
  const d = cluster.driver();
  for (let i = 0; i < n; i++) {
    await query(d, 'CREATE (:Item {seq: $seq})', { seq: neo4j.int(i) }, { database: db });
  }
}

async function states(B, db) {
  const rows = await B.system(
    `SHOW DATABASE \`${db}\` YIELD currentStatus, statusMessage, lastCommittedTxn, replicationLag`,
  );
  return rows.map((r) => ({
    currentStatus: r.currentStatus,
    statusMessage: r.statusMessage,
    lastCommittedTxn: Number(r.lastCommittedTxn),
    replicationLag: r.replicationLag === null ? null : Number(r.replicationLag),
  }));
}

function logText(cluster) {
  return fs.readFileSync(path.join(cluster.home, 'logs', 'debug.log'), 'utf8');
}

function metric(cluster, name) {
  const file = path.join(cluster.home, 'metrics', `${name}.csv`);
  if (!fs.existsSync(file)) {
    return undefined;
  }
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  return Number(lines[lines.length - 1].split(',')[1]);
}

// A TCP server on 127.0.0.1 that answers a Bolt handshake as a Bolt 5.8
// server does (00 00 08 05) and closes the connection on anything else.
async function boltStandIn() {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (data) => {
      if (data.length >= 4 && data[0] === 0x60 && data[1] === 0x60 && data[2] === 0xb0 && data[3] === 0x17) {
        socket.write(Buffer.from([0x00, 0x00, 0x08, 0x05]));
      } else {
        socket.destroy();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${server.address().port}`,
    close: () => {
      for (const s of sockets) {
        s.destroy();
      }
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('replica member states', () => {
  let certs;
  let A;
  let B;
  const TXS = 400;

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 1 }],
      ['clusterB', { certs, servers: 1 }],
    ]);
    await A.system('CREATE DATABASE foo WAIT');
    await writeTxs(A, 'foo', TXS);
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  test('after creation: starting until the first catch-up, never online behind the upstream; then online', async () => {
    const upstream = Math.max(...(await A.txIds('foo')));
    await B.system(createReplicaQuery(), {
      name: 'foo-replica',
      primaries: neo4j.int(1),
      secondaries: neo4j.int(0),
      remote: 'foo',
      addresses: A.clusterAddresses,
    });
    // Polled from the first moment: a member reads online only at the
    // upstream's position, and replicationLag is never negative.
    const seen = new Set();
    const last = await eventually(async () => {
      const [row] = await states(B, 'foo-replica');
      seen.add(row.currentStatus);
      assert.ok(['starting', 'online'].includes(row.currentStatus), JSON.stringify(row));
      assert.ok(row.replicationLag === null || row.replicationLag >= 0, JSON.stringify(row));
      if (row.currentStatus === 'starting') {
        assert.match(row.statusMessage, /^first catch-up/);
        // Reads work while it catches up (an older state than A's).
        assert.ok((await count(B, 'foo-replica')) <= TXS);
        return null;
      }
      assert.equal(row.lastCommittedTxn, upstream, JSON.stringify(row));
      return row;
    }, { intervalMs: 5 });
    console.log(`# states seen after creation: ${[...seen].join(', ')}`);
    assert.equal(last.statusMessage, `pulling from ${A.clusterAddresses[0]}`);
    assert.equal(last.replicationLag, 0);
    assert.equal(await count(B, 'foo-replica'), TXS);
  });

  test('restarted while the upstream is down: starting, replicationLag null, reads served; online once it caught up', async () => {
    const applied = (await B.txIds('foo-replica'))[0];
    await A.kill();
    await B.restart();
    const row = await eventually(async () => {
      const [r] = await states(B, 'foo-replica');
      return /disconnected: /.test(r.statusMessage) ? r : null;
    });
    assert.equal(row.currentStatus, 'starting');
    assert.match(row.statusMessage, /^first catch-up; disconnected: cannot connect to /);
    assert.equal(row.replicationLag, null);
    assert.equal(row.lastCommittedTxn, applied);
    // A driver's read goes on at the member's applied position.
    assert.equal(await count(B, 'foo-replica'), TXS);
    await eventually(() => metric(B, 'neo4j.database.foo-replica.ccdr.replica.caught_up_once') === 0, {
      timeoutMs: 10_000,
    });
    await A.start();
    await writeTxs(A, 'foo', 3);
    await waitCaughtUp(A, 'foo', B, 'foo-replica');
    const [online] = await eventually(async () => {
      const rows = await states(B, 'foo-replica');
      return rows[0].currentStatus === 'online' ? rows : null;
    });
    assert.equal(online.replicationLag, 0);
    assert.match(online.statusMessage, /^pulling from /);
    assert.equal(await count(B, 'foo-replica'), TXS + 3);
  });

  test('an addresses entry naming a Bolt port is said to be one, on creation and on a member', async () => {
    const bolt = A.boltAddresses[0];
    const err = await failure(
      B.system(createReplicaQuery(), {
        name: 'bolt-replica',
        primaries: neo4j.int(1),
        secondaries: neo4j.int(0),
        remote: 'foo',
        addresses: [bolt],
      }),
    );
    assert.ok(err.message.includes(`connecting to ${bolt}: peer closed the TLS handshake; ${bolt} looks like a ` +
      'Bolt port (it answers the Bolt handshake); `addresses` needs cluster ports (server.cluster.listen_address)'),
    err.message);
    // A member: a Bolt port first, then A's cluster port (a stand-in that
    // answers the Bolt handshake and hangs up on anything else, as a Bolt
    // server does); with A down both fail and the member says why.
    const fake = await boltStandIn();
    try {
      await B.system('CALL internal.dbms.alterReplicaDatabase($name, $options)', {
        name: 'foo-replica',
        options: { addresses: [fake.address, A.clusterAddresses[0]] },
      });
      await A.kill();
      const [row] = await eventually(async () => {
        const rows = await states(B, 'foo-replica');
        return /looks like a Bolt port/.test(rows[0].statusMessage) ? rows : null;
      }, { timeoutMs: 20_000 });
      assert.equal(row.currentStatus, 'online');
      assert.ok(row.statusMessage.startsWith(`disconnected: connecting to ${fake.address}: peer closed the TLS ` +
        `handshake; ${fake.address} looks like a Bolt port (it answers the Bolt handshake); \`addresses\` needs ` +
        'cluster ports (server.cluster.listen_address); '), row.statusMessage);
      assert.match(logText(B), /replica 'foo-replica' disconnected: .* looks like a Bolt port/);
      await A.start();
      await B.system('CALL internal.dbms.alterReplicaDatabase($name, $options)', {
        name: 'foo-replica',
        options: { addresses: A.clusterAddresses },
      });
      await eventually(async () => {
        const rows = await states(B, 'foo-replica');
        return /^pulling from /.test(rows[0].statusMessage) ? rows : null;
      }, { timeoutMs: 20_000 });
    } finally {
      await fake.close();
    }
  });

  test('failed for good (lineage mismatch): dirty, state metric 6, reads still served', async () => {
    const items = await count(B, 'foo-replica');
    await A.system('DROP DATABASE foo WAIT');
    await A.system('CREATE DATABASE foo WAIT');
    await writeTxs(A, 'foo', 1);
    const [row] = await eventually(async () => {
      const rows = await states(B, 'foo-replica');
      return /^failed: /.test(rows[0].statusMessage) ? rows : null;
    }, { timeoutMs: 15_000 });
    assert.equal(row.currentStatus, 'dirty');
    assert.match(row.statusMessage, /^failed: .*lineage mismatch/);
    assert.ok(row.replicationLag === null || row.replicationLag >= 0);
    await eventually(() => metric(B, 'neo4j.database.foo-replica.ccdr.replica.state') === 6, { timeoutMs: 10_000 });
    assert.equal(await count(B, 'foo-replica'), items);
    assert.match(logText(B), /replica 'foo-replica' stopped: .*lineage mismatch/);
  });
});
