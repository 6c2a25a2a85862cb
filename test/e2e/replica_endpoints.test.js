'use strict';
// Any cluster endpoint of the upstream works (issue 17, item 1), and retries
// of createReplicaDatabase are safe (item 5).
// Cluster A has 5 servers and foo on 2 of them: the other 3 answer "not
// online" for foo. Replicas in cluster B (1 server) are created with A's
// addresses in several orders, non-hosting servers first; each is verified
// (verifyReplicaDatabase asks the same addresses, in the same order) and its
// users compared (compareSecurity). Every refusal leaves SHOW DATABASES as it
// was.
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

const FAILED = 'Neo.ClientError.Procedure.ProcedureCallFailed';
const int = (n) => neo4j.int(n);

describe('any endpoint of the upstream cluster, and safe retries', () => {
  let certs;
  let A;
  let B;
  let hosting; // cluster addresses of A's servers with a member of foo
  let others; // cluster addresses of A's servers without one
  let inShowServersOrder; // every cluster address of A, in SHOW SERVERS order

  // The cluster address of A's server with Bolt address `bolt`.
  const clusterAddressOf = (bolt) => A.clusterAddresses[A.boltAddresses.indexOf(bolt)];

  function create(cluster, name, addresses, { primaries = 1, secondaries = 0, remote = 'foo' } = {}) {
    return cluster.system(createReplicaQuery(), {
      name,
      primaries: int(primaries),
      secondaries: int(secondaries),
      remote,
      addresses,
    });
  }

  // The call's error; asserts its code and message.
  async function refusedCreate(cluster, name, addresses, options, message) {
    const d = cluster.driver(cluster.bolt(0));
    const session = d.session({ database: 'system' });
    try {
      const e = await failure(
        session.run(createReplicaQuery(), {
          name,
          primaries: int(options.primaries ?? 1),
          secondaries: int(options.secondaries ?? 0),
          remote: options.remote ?? 'foo',
          addresses,
        }),
      );
      assert.equal(e.code, FAILED, e.message);
      assert.match(e.message, message);
      return e;
    } finally {
      await session.close();
    }
  }

  // What SHOW DATABASES says of every database, except the moving columns.
  async function databases(cluster) {
    return cluster.system(
      'SHOW DATABASES YIELD name, type, access, address, role, requestedStatus, options ' +
        'RETURN name, type, access, address, role, requestedStatus, options ORDER BY name, address',
    );
  }

  before(async () => {
    certs = await generateCertificates();
    [A, B] = await startDrClusters([
      ['clusterA', { certs, servers: 5 }],
      ['clusterB', { certs, servers: 1 }],
    ]);
    await A.system('CREATE DATABASE foo TOPOLOGY 2 PRIMARIES WAIT');
    await query(A.driver(), 'UNWIND range(1, 30) AS i CREATE (:Customer {id: i})', {}, { database: 'foo' });
    const members = await A.show('foo');
    hosting = members.map((r) => clusterAddressOf(r.address));
    others = A.clusterAddresses.filter((a) => !hosting.includes(a));
    inShowServersOrder = (await A.system('SHOW SERVERS YIELD address RETURN address')).map((r) =>
      clusterAddressOf(r.address),
    );
    assert.equal(hosting.length, 2);
    assert.equal(others.length, 3);
    assert.equal(inShowServersOrder.length, 5);
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    removeCertificates(certs);
  });

  // Each order starts with a server that does not host foo.
  const orders = () => [
    ['SHOW SERVERS order, non-hosting first', [...others, ...inShowServersOrder.filter((a) => !others.includes(a))]],
    ['non-hosting first, then hosting', [...others, ...hosting]],
    ['reversed', [...others].reverse().concat([...hosting].reverse())],
    ['interleaved', [others[2], hosting[1], others[0], hosting[0], others[1]]],
    ['all five in SHOW SERVERS order', inShowServersOrder],
  ];

  test('createReplicaDatabase, verifyReplicaDatabase and compareSecurity ask on past non-hosting servers', async () => {
    let i = 0;
    for (const [label, addresses] of orders()) {
      const name = `rep-${i++}`;
      await create(B, name, addresses);
      await B.waitOnline(name, 1);
      const tx = await waitCaughtUp(A, 'foo', B, name);
      const verified = await B.system(
        `CALL internal.dbms.verifyReplicaDatabase('${name}') YIELD txId, match, message RETURN txId, match, message`,
      );
      assert.equal(verified.length, 1, label);
      assert.equal(verified[0].match, true, `${label}: ${verified[0].message}`);
      assert.equal(Number(verified[0].txId), tx, label);
      // The upstream server that answered hosts foo.
      assert.ok(hosting.some((a) => verified[0].message.includes(a)), `${label}: ${verified[0].message}`);
      const users = await B.system(`CALL internal.dbms.compareSecurity('${name}') YIELD user, verdict RETURN user, verdict`);
      assert.ok(users.some((r) => r.user === 'neo4j'), `${label}: ${JSON.stringify(users)}`);
    }
  });

  test('only non-hosting servers listed: refused, naming each server asked, nothing created', async () => {
    const before = await databases(B);
    const e = await refusedCreate(B, 'rep-none', others, {}, /upstream database 'foo' is not online \(asked /);
    for (const a of others) {
      assert.ok(e.message.includes(a), e.message);
    }
    assert.deepEqual(await databases(B), before);
  });

  test('a retry with the same arguments succeeds and changes nothing', async () => {
    const [, addresses] = orders()[1];
    const before = await databases(B);
    const rows = await create(B, 'rep-1', addresses);
    assert.deepEqual(rows, []);
    assert.deepEqual(await databases(B), before);
    const log = require('node:fs').readFileSync(`${B.home}/logs/debug.log`, 'utf8');
    assert.match(log, /createReplicaDatabase for 'rep-1' again with the arguments it was created with: nothing to do/);
  });

  test('a retry with other arguments fails naming each difference and changes nothing', async () => {
    const [, addresses] = orders()[1];
    const before = await databases(B);
    await refusedCreate(B, 'rep-1', addresses, { secondaries: 1 },
      /replica 'rep-1' already exists with other arguments \(numSecondaries is 0, not 1\); nothing was changed/);
    await refusedCreate(B, 'rep-1', [...addresses].reverse(), { remote: 'bar' },
      new RegExp(`remote is 'foo', not 'bar'; addresses are \\[${addresses.join(', ')}\\], not \\[`));
    await B.system('CREATE DATABASE plain WAIT');
    const withPlain = await databases(B);
    await refusedCreate(B, 'plain', addresses, {},
      /database 'plain' already exists in this cluster as a standard database, not a replica/);
    assert.deepEqual(await databases(B), withPlain);
    assert.deepEqual(withPlain.filter((r) => r.name !== 'plain'), before);
  });

  test('a replica of a database of its own cluster is refused at once', async () => {
    const before = await databases(A);
    const e = await refusedCreate(A, 'foo-copy', [A.clusterAddresses[3], ...hosting], {},
      /address 127\.0\.0\.1:\d+ is server \S+ of this cluster: a replica's upstream is a database of another cluster/);
    assert.ok(e.message.includes(A.clusterAddresses[3]), e.message);
    assert.deepEqual(await databases(A), before);
    // At once: no connection is tried, so no TLS refusal either.
    assert.doesNotMatch(e.message, /certificate|cannot contact/);
  });
});
