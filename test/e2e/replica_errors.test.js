'use strict';
// Every bad call of internal.dbms.createReplicaDatabase: each fails with
// Neo.ClientError.Procedure.ProcedureCallFailed (Security.Forbidden for a
// reader) and a message that names the failed check, and creates nothing
// (SHOW DATABASES on cluster B is the same before and after).
// Cluster A: 1 server with foo (online) and stopped (offline). Cluster B: 2
// servers, one allowing only PRIMARY, one only SECONDARY, with a reader user.
// Cluster C's CA is one A does not trust, and C does not trust A's.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  generateCertificates,
  removeCertificates,
  startDrClusters,
  createReplicaQuery,
} = require('./lib/clusters');
const { neo4j, failure } = require('./lib/driver');
const { freePorts } = require('./lib/ports');

const FAILED = 'Neo.ClientError.Procedure.ProcedureCallFailed';
const int = (n) => neo4j.int(n);

describe('createReplicaDatabase refuses bad calls and creates nothing', () => {
  let certs;
  let otherCerts;
  let A;
  let B;
  let C;
  let namesBefore;
  let unreachable;

  before(async () => {
    // clusterC trusts only clusterD's CA: neither A nor C trusts the other.
    [certs, otherCerts] = await Promise.all([generateCertificates(), generateCertificates(['clusterC', 'clusterD'])]);
    [A, B, C] = await startDrClusters([
      ['clusterA', { certs, servers: 1 }],
      [
        'clusterB',
        {
          certs,
          servers: 2,
          modes: ['PRIMARY', 'SECONDARY'],
          users: [{ name: 'reader', role: 'reader', password: 'reader-password' }],
        },
      ],
      ['clusterC', { certs: otherCerts, servers: 1 }],
    ]);
    await A.system('CREATE DATABASE foo WAIT');
    await A.system('CREATE DATABASE stopped WAIT');
    await A.system('STOP DATABASE stopped WAIT');
    await B.system('CREATE DATABASE taken WAIT');
    unreachable = (await freePorts(1)).map((p) => `127.0.0.1:${p}`);
    namesBefore = await B.names();
  });

  after(async () => {
    await Promise.all([A?.stop(), B?.stop(), C?.stop()]);
    removeCertificates(certs);
    removeCertificates(otherCerts);
  });

  // Calls createReplicaDatabase on `on` (B by default) with `args` over the
  // defaults and returns the error; asserts nothing was created.
  async function refused(args, { on, user, password, code = FAILED, message } = {}) {
    const cluster = on ?? B;
    const params = {
      name: 'new-replica',
      primaries: int(1),
      secondaries: int(0),
      remote: 'foo',
      addresses: A.clusterAddresses,
      ...args,
    };
    const d = cluster.driver(cluster.bolt(0), user ?? 'neo4j', password ?? cluster.password);
    const session = d.session({ database: 'system' });
    let e;
    try {
      e = await failure(session.run(args.query ?? createReplicaQuery(), params));
    } finally {
      await session.close();
      await d.close();
    }
    assert.equal(e.code, code, e.message);
    if (message) {
      assert.match(e.message, message);
    }
    if (cluster === B) {
      assert.deepEqual(await B.names(), namesBefore);
    } else {
      const names = await cluster.names();
      assert.ok(!names.some((n) => n.startsWith('new-replica@')), names.join(', '));
    }
    return e;
  }

  test('the name is taken in this cluster', async () => {
    await refused({ name: 'taken' }, { message: /database 'taken' already exists in this cluster/ });
  });

  test('the name is not a valid database name', async () => {
    await refused({ name: 'x' }, { message: /invalid database name 'x'/ });
  });

  test('negative numPrimaries or numSecondaries', async () => {
    await refused({ primaries: int(-1) }, { message: /numPrimaries must not be negative, got -1/ });
    await refused({ secondaries: int(-2) }, { message: /numSecondaries must not be negative, got -2/ });
  });

  test('zero members in total, or no primary', async () => {
    await refused({ primaries: int(0), secondaries: int(0) }, { message: /zero members in total/ });
    await refused({ primaries: int(0), secondaries: int(1) }, { message: /numPrimaries is 0/ });
  });

  test('more primaries or secondaries than servers allowing that role', async () => {
    await refused({ primaries: int(2) }, {
      message: /cannot create 'new-replica': Cannot allocate 2 primaries: only 1 servers? allows? the primary role/,
    });
    await refused({ secondaries: int(2) }, {
      message: /cannot create 'new-replica': Cannot allocate 2 secondaries: only 1 servers? allows? the secondary role/,
    });
  });

  test('the remote database does not exist', async () => {
    await refused({ remote: 'missing' }, { message: /upstream database 'missing' does not exist/ });
  });

  test('the remote is the system database', async () => {
    await refused({ remote: 'system' }, { message: /the system database cannot be replicated/ });
  });

  test('the remote database is offline (STOP DATABASE upstream)', async () => {
    await refused({ remote: 'stopped' }, { message: /upstream database 'stopped' is not online/ });
  });

  test('no upstream address answers', async () => {
    await refused({ addresses: unreachable }, { message: /cannot contact the upstream cluster/ });
  });

  test('the upstream does not trust this cluster\'s certificate (and vice versa)', async () => {
    const e = await refused({}, { on: C, message: /cannot contact the upstream cluster/ });
    assert.match(e.message, new RegExp(A.clusterAddresses[0].replace(/\./g, '\\.')));
    assert.match(e.message, /certificate|TLS|handshake|verify/i);
  });

  test('arguments of the wrong type', async () => {
    // A JavaScript number is sent as a FLOAT; the host accepts a whole FLOAT
    // for an INTEGER argument (as Cypher's parameters allow), not 1.5.
    await refused({ primaries: 1.5 }, { message: /argument 'numPrimaries' .*expected INTEGER but was FLOAT/ });
    await refused({ secondaries: 'two' }, { message: /argument 'numSecondaries' .*expected INTEGER but was STRING/ });
    await refused({ name: int(5) }, { message: /argument 'databaseName' .*expected STRING but was INTEGER/ });
    await refused({ remote: int(5) }, { message: /'remote' must be a non-empty STRING/ });
    await refused({ addresses: A.clusterAddresses[0] }, { message: /'addresses' must be a non-empty LIST<STRING>/ });
    await refused({ addresses: [int(1)] }, { message: /'addresses' must contain only STRINGs/ });
    await refused({ addresses: ['no-port'] }, { message: /address 'no-port' is not host:port/ });
    await refused(
      { query: 'CALL internal.dbms.createReplicaDatabase($name, $primaries, $secondaries, "foo")' },
      { message: /argument 'options' .*expected MAP but was STRING/ },
    );
  });

  test('keys missing from the options map, or unknown', async () => {
    const call = (map) => `CALL internal.dbms.createReplicaDatabase($name, $primaries, $secondaries, ${map})`;
    await refused({ query: call('{addresses: $addresses}') }, { message: /'remote' is missing/ });
    await refused({ query: call('{remote: $remote}') }, { message: /'addresses' is missing/ });
    await refused(
      { query: call('{remote: $remote, addresses: $addresses, region: "eu"}') },
      { message: /unknown key 'region'/ },
    );
  });

  test('a user without the admin role is Forbidden', async () => {
    await refused({}, { user: 'reader', password: 'reader-password', code: 'Neo.ClientError.Security.Forbidden' });
  });

  test('after all that, a good call still works', async () => {
    const d = B.driver(B.bolt(0));
    const session = d.session({ database: 'system' });
    try {
      await session.run(createReplicaQuery(), {
        name: 'new-replica',
        primaries: int(1),
        secondaries: int(1),
        remote: 'foo',
        addresses: A.clusterAddresses,
      });
    } finally {
      await session.close();
    }
    const rows = await B.waitOnline('new-replica', 2);
    assert.deepEqual(rows.map((r) => r.type), ['replica', 'replica']);
  });
});
