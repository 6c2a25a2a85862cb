'use strict';
// Plugin versions on both clusters (docs/protocol.md "Plugin versions",
// docs/operations.md "Versions on both clusters"). Four one-server clusters:
// A and B run this build (libccdr.so), M a build that says another minor
// version (libccdr_v0.3.0.so), J one that says another major version
// (libccdr_v1.0.0.so); each holds foo on the upstream side, B holds the
// replicas. Same version: nothing is said. Minor: the replica works and its
// statusMessage names both versions, each side logs it once. Major:
// createReplicaDatabase fails naming both versions and creates nothing; an
// existing replica whose upstream comes back as another major version stops
// FAILED with that message, and the one-shot procedures say it too.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
  generateCertificates,
  removeCertificates,
  startDrClusters,
  createReplicaQuery,
  waitCaughtUp,
} = require('./lib/clusters');
const { neo4j, failure, eventually } = require('./lib/driver');
const paths = require('./lib/paths');

const FAILED = 'Neo.ClientError.Procedure.ProcedureCallFailed';
const THIS = '0.2.0';
const int = (n) => neo4j.int(n);

function logOf(cluster) {
  return fs.readFileSync(path.join(cluster.home, 'logs', 'debug.log'), 'utf8');
}

function count(text, needle) {
  return text.split(needle).length - 1;
}

describe('plugin versions on both clusters', () => {
  let certs;
  let A;
  let B;
  let M;
  let J;

  before(async () => {
    certs = await generateCertificates(['clusterA', 'clusterB', 'clusterC', 'clusterD']);
    [A, B, M, J] = await startDrClusters([
      ['clusterA', { certs, servers: 1 }],
      ['clusterB', { certs, servers: 1 }],
      ['clusterC', { certs, servers: 1, plugin: paths.pluginOfVersion('0.3.0') }],
      ['clusterD', { certs, servers: 1, plugin: paths.pluginOfVersion('1.0.0') }],
    ]);
    await Promise.all([A, M, J].map((c) => c.system('CREATE DATABASE foo WAIT')));
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop(), M?.stop(), J?.stop()]);
    removeCertificates(certs);
  });

  async function createReplica(name, upstream) {
    return B.system(createReplicaQuery(), {
      name,
      primaries: int(1),
      secondaries: int(0),
      remote: 'foo',
      addresses: upstream.clusterAddresses,
    });
  }

  async function write(cluster, n) {
    const d = cluster.driver(cluster.bolt(0));
    const session = d.session({ database: 'foo' });
    try {
      await session.run('UNWIND range(1, $n) AS i CREATE (:V {i: i})', { n: int(n) });
    } finally {
      await session.close();
    }
  }

  async function statusOf(db) {
    const rows = await B.show(db);
    assert.equal(rows.length, 1);
    return rows[0];
  }

  test('the same version on both sides: replicates, and nothing is said of versions', async () => {
    await createReplica('foo-same', A);
    await write(A, 5);
    await waitCaughtUp(A, 'foo', B, 'foo-same');
    const row = await eventually(async () => {
      const r = await statusOf('foo-same');
      return r.statusMessage.startsWith('pulling from') ? r : null;
    });
    assert.equal(row.statusMessage, `pulling from ${A.clusterAddresses[0]}`);
    assert.doesNotMatch(logOf(A) + logOf(B), /runs ccdr plugin/);
  });

  test('another minor version: replicates, statusMessage names both versions, logged once per side', async () => {
    await createReplica('foo-minor', M);
    await write(M, 5);
    await waitCaughtUp(M, 'foo', B, 'foo-minor');
    const expected = `pulling from ${M.clusterAddresses[0]} (upstream plugin 0.3.0, this ${THIS})`;
    const row = await eventually(async () => {
      const r = await statusOf('foo-minor');
      return r.statusMessage === expected ? r : null;
    });
    assert.equal(row.currentStatus, 'online');
    console.log(`# SHOW DATABASE foo-minor: statusMessage ${JSON.stringify(row.statusMessage)}`);

    // Reconnects (the upstream restarts twice) do not repeat the log line.
    for (let i = 0; i < 2; i++) {
      await M.restart();
      await write(M, 3);
      await waitCaughtUp(M, 'foo', B, 'foo-minor');
    }
    const replicaLine = `runs ccdr plugin 0.3.0, this server runs ${THIS}: minor versions differ`;
    assert.equal(count(logOf(B), replicaLine), 1, 'the replica side logs it once');
    // The upstream side logs once per process: M ran three times.
    const upstreamLine = `runs ccdr plugin ${THIS}, this server runs 0.3.0: minor versions differ`;
    assert.equal(count(logOf(M), upstreamLine), 3, 'the upstream side logs it once per start');
    console.log(`# replica side: ${logOf(B).split('\n').find((l) => l.includes(replicaLine))}`);
    console.log(`# upstream side: ${logOf(M).split('\n').find((l) => l.includes(upstreamLine))}`);
    await eventually(async () => ((await statusOf('foo-minor')).statusMessage === expected ? true : null));
  });

  test('another major version: createReplicaDatabase fails naming both versions, nothing is created', async () => {
    const before = await B.names();
    const d = B.driver(B.bolt(0));
    const session = d.session({ database: 'system' });
    let e;
    try {
      e = await failure(
        session.run(createReplicaQuery(), {
          name: 'foo-major',
          primaries: int(1),
          secondaries: int(0),
          remote: 'foo',
          addresses: J.clusterAddresses,
        }),
      );
    } finally {
      await session.close();
    }
    assert.equal(e.code, FAILED, e.message);
    assert.match(
      e.message,
      /ccdr plugin versions differ: replica cluster runs 0\.2\.0, upstream cluster runs 1\.0\.0; both clusters must run the same major version/,
    );
    console.log(`# createReplicaDatabase: ${e.message}`);
    assert.deepEqual(await B.names(), before);
    assert.match(logOf(J), /refused replication to .*ccdr plugin versions differ: replica cluster runs 0\.2\.0/);
    console.log(`# upstream side: ${logOf(J).split('\n').find((l) => l.includes('refused replication to'))}`);
  });

  test('an upstream back as another major version: the replica member stops FAILED with both versions', async () => {
    await createReplica('foo-upgraded', A);
    await write(A, 5);
    await waitCaughtUp(A, 'foo', B, 'foo-upgraded');
    const before = await B.names();

    // A's server is stopped and started again with the other major build.
    await A.proc.stop();
    const plugins = path.join(A.home, 'plugins');
    fs.rmSync(path.join(plugins, 'libccdr.so'));
    fs.copyFileSync(paths.pluginOfVersion('1.0.0'), path.join(plugins, 'libccdr_v1.0.0.so'));
    await A.start();

    const message =
      'ccdr plugin versions differ: replica cluster runs 0.2.0, upstream cluster runs 1.0.0; ' +
      'both clusters must run the same major version';
    const row = await eventually(async () => {
      const r = await statusOf('foo-upgraded');
      return r.statusMessage.startsWith('failed:') ? r : null;
    });
    assert.equal(row.statusMessage, `failed: ${A.clusterAddresses[0]} refused: ${message}`);
    console.log(`# SHOW DATABASE foo-upgraded: currentStatus ${row.currentStatus}, statusMessage ${JSON.stringify(row.statusMessage)}`);
    // foo-same follows A too, and fails the same way. FAILED is final: once
    // both failed, no retry reaches the upstream any more.
    await eventually(async () => ((await statusOf('foo-same')).statusMessage.startsWith('failed:') ? true : null));
    const refusals = count(logOf(A), message);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(count(logOf(A), message), refusals);
    assert.equal(refusals, 2, 'one refusal per replica member');

    // The one-shot requests say the same.
    for (const call of [
      'CALL internal.dbms.verifyReplicaDatabase("foo-upgraded")',
      'CALL internal.dbms.compareSecurity("foo-upgraded")',
    ]) {
      const d = B.driver(B.bolt(0));
      const session = d.session({ database: 'system' });
      let e;
      try {
        e = await failure(session.run(call));
      } finally {
        await session.close();
      }
      assert.equal(e.code, FAILED, `${call}: ${e.message}`);
      assert.ok(e.message.includes(message), `${call}: ${e.message}`);
    }
    assert.deepEqual(await B.names(), before);
  });
});
