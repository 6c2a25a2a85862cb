'use strict';
// Many clients at once with the official driver (issue 23): an idle writer
// that holds the database's write lock does not stop the others beyond
// db.transaction.timeout and learns it timed out when it speaks again;
// waits longer than db.lock.acquisition.timeout fail with the transient
// LockAcquisitionTimeout, which executeQuery retries by itself; a client's
// own transaction timeout; SHOW TRANSACTIONS and TERMINATE TRANSACTION;
// STOP DATABASE with a transaction open.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startCluster } = require('./lib/refhost');
const { neo4j, driver, query, failure, eventually } = require('./lib/driver');

const TX_TIMEOUT_MS = 2000;

describe('many clients, one write lock', () => {
  let cluster;
  let d; // admin, direct to the only server
  before(async () => {
    cluster = await startCluster({
      servers: 1,
      users: [{ name: 'alice', role: 'reader', password: 'alicepw' }],
      settings: {
        'db.transaction.timeout': `${TX_TIMEOUT_MS}ms`,
        'db.lock.acquisition.timeout': '500ms',
        'db.shutdown_transaction_end_timeout': '1s',
      },
    });
    d = driver(cluster.bolt(0), 'neo4j', 'secret', { maxTransactionRetryTime: 20_000 });
  });
  after(async () => {
    await d?.close();
    await cluster?.stop();
  });

  // An explicit transaction that wrote and now says nothing: it holds the lock.
  async function idleWriter(label, config = {}) {
    const session = d.session();
    const tx = session.beginTransaction(config);
    await tx.run(`CREATE (:${label})`);
    return { session, tx };
  }

  async function count(label) {
    const rows = await query(d, `MATCH (n:${label}) RETURN count(n) AS n`);
    return rows[0].n.toNumber();
  }

  test('an idle writer holds the others up to db.transaction.timeout, then gets TransactionTimedOut', async () => {
    const idle = await idleWriter('Idle');
    const started = Date.now();
    // 20 writers, each on its own connection, retrying as executeQuery does.
    const others = Array.from({ length: 20 }, (_, i) =>
      d.executeQuery('CREATE (:Other {i: $i})', { i: neo4j.int(i) }),
    );
    // Meanwhile SHOW TRANSACTIONS sees the holder and whoever waits behind it.
    const rows = await eventually(async () => {
      const r = await query(
        d,
        'SHOW TRANSACTIONS YIELD transactionId, status, activeLockCount, currentQuery RETURN transactionId, status, ' +
          'activeLockCount, currentQuery',
      );
      return r.some((x) => x.status.startsWith('Blocked by: [')) ? r : null;
    });
    const holder = rows.find((r) => r.activeLockCount.toNumber() === 1);
    assert.ok(holder, JSON.stringify(rows));
    assert.match(holder.transactionId, /^neo4j-transaction-\d+$/);
    assert.ok(rows.some((r) => r.status === `Blocked by: [${holder.transactionId}]`));

    await Promise.all(others);
    const waited = Date.now() - started;
    assert.equal(await count('Other'), 20);
    // They went on once the idle one was terminated, not before.
    assert.ok(waited >= TX_TIMEOUT_MS - 200, `the writers finished after ${waited} ms`);

    const e = await failure(idle.tx.commit());
    assert.equal(e.code, 'Neo.ClientError.Transaction.TransactionTimedOut');
    assert.equal(e.gqlStatus, '25N14');
    assert.equal(e.retryable, false);
    assert.match(e.message, /db\.transaction\.timeout/);
    await idle.session.close();
    assert.equal(await count('Idle'), 0);
  });

  test('a wait beyond db.lock.acquisition.timeout is LockAcquisitionTimeout, which drivers retry', async () => {
    const idle = await idleWriter('Held', { timeout: 0 }); // no timeout: only the lock timeout acts
    const session = d.session();
    try {
      const e = await failure(session.run('CREATE (:Late)')); // auto-commit: no retry
      assert.equal(e.code, 'Neo.TransientError.Transaction.LockAcquisitionTimeout');
      assert.equal(e.gqlStatus, '25N16');
      assert.equal(e.retryable, true);
      assert.match(e.message, /db\.lock\.acquisition\.timeout/);
      // executeQuery retries it: it succeeds once the holder lets go.
      const retried = d.executeQuery('CREATE (:Late)');
      await new Promise((r) => setTimeout(r, 1200)); // a few lock timeouts
      await idle.tx.commit();
      await retried;
      assert.equal(await count('Late'), 1);
      assert.equal(await count('Held'), 1);
    } finally {
      await session.close();
      await idle.session.close();
    }
  });

  test("a client's own transaction timeout ends its transaction with its own code", async () => {
    const session = d.session();
    const tx = session.beginTransaction({ timeout: 300 });
    await tx.run('CREATE (:Short)');
    await new Promise((r) => setTimeout(r, 800));
    const e = await failure(tx.run('RETURN 1'));
    assert.equal(e.code, 'Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration');
    await session.close();
    assert.equal(await count('Short'), 0);
  });

  test('TERMINATE TRANSACTION ends the holder at once; a user sees and ends only their own', async () => {
    const idle = await idleWriter('Doomed', { timeout: 0, metadata: { app: 'e2e' } });
    const waiting = d.executeQuery('CREATE (:AfterTerminate)');
    const rows = await query(
      d,
      'SHOW TRANSACTIONS YIELD transactionId, metaData, activeLockCount, username, clientAddress, connectionId ' +
        'WHERE activeLockCount = 1 RETURN transactionId, metaData, username, clientAddress, connectionId',
    );
    assert.equal(rows.length, 1);
    const id = rows[0].transactionId;
    assert.deepEqual(rows[0].metaData, { app: 'e2e' });
    assert.equal(rows[0].username, 'neo4j');
    assert.match(rows[0].clientAddress, /^127\.0\.0\.1:\d+$/);
    assert.match(rows[0].connectionId, /^bolt-\d+$/);

    const alice = driver(cluster.bolt(0), 'alice', 'alicepw');
    try {
      const mine = await query(alice, 'SHOW TRANSACTIONS YIELD username RETURN username');
      assert.ok(mine.length >= 1);
      assert.ok(mine.every((r) => r.username === 'alice'), JSON.stringify(mine)); // her own SHOW, nothing else
      const refused = await query(alice, 'TERMINATE TRANSACTION $id', { id });
      assert.deepEqual(refused, [{ transactionId: id, username: null, message: 'Transaction not found.' }]);
    } finally {
      await alice.close();
    }

    const ended = await query(d, 'TERMINATE TRANSACTIONS $id, "neo4j-transaction-999999"', { id });
    assert.deepEqual(ended, [
      { transactionId: id, username: 'neo4j', message: 'Transaction terminated.' },
      { transactionId: 'neo4j-transaction-999999', username: null, message: 'Transaction not found.' },
    ]);
    await waiting; // went on without waiting for any timeout
    const e = await failure(idle.tx.commit());
    assert.equal(e.code, 'Neo.ClientError.Transaction.Terminated');
    assert.match(e.message, /Explicitly terminated by the user/);
    await idle.session.close();
    assert.equal(await count('Doomed'), 0);
    assert.equal(await count('AfterTerminate'), 1);
  });

  test('STOP DATABASE with a transaction open ends it within db.shutdown_transaction_end_timeout', async () => {
    await query(d, 'CREATE DATABASE stopme WAIT', {}, { database: 'system' });
    const session = d.session({ database: 'stopme' });
    const tx = session.beginTransaction({ timeout: 0 });
    await tx.run('CREATE (:Open)');
    const started = Date.now();
    await query(d, 'STOP DATABASE stopme', {}, { database: 'system' });
    const took = Date.now() - started;
    assert.ok(took < 1000 + 5000, `STOP DATABASE took ${took} ms`);
    const e = await failure(tx.commit());
    assert.equal(e.code, 'Neo.TransientError.General.DatabaseUnavailable');
    await session.close();
    const rows = await query(d, 'SHOW DATABASE stopme YIELD currentStatus', {}, { database: 'system' });
    assert.equal(rows[0].currentStatus, 'offline');
  });
});
