'use strict';
// Small helpers over neo4j-driver 6.3.0 shared by the test files.
const neo4j = require('neo4j-driver');
// Waits until a check holds (databases come online asynchronously): the
// tests' one wait-for-condition helper, re-exported for the e2e files.
const { eventually } = require('../../support/eventually');

// A driver that gives up quickly: tests assert errors, they do not wait for retries.
function driver(url, user = 'neo4j', password = 'secret', config = {}) {
  return neo4j.driver(url, neo4j.auth.basic(user, password), {
    maxTransactionRetryTime: 1000,
    connectionAcquisitionTimeout: 10_000,
    logging: { level: 'error', logger: () => {} },
    ...config,
  });
}

// Runs one auto-commit query and returns its records as plain objects.
async function query(d, text, params = {}, sessionConfig = {}) {
  const session = d.session(sessionConfig);
  try {
    const result = await session.run(text, params);
    return result.records.map((r) => r.toObject());
  } finally {
    await session.close();
  }
}

// The error a promise rejects with (the test fails if it resolves).
async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure, the call succeeded');
}

// The routing table the driver holds for `database`, as host:port lists. The
// driver keeps no public accessor; this reads its registry (pinned 6.3.0).
function routingTable(d, database) {
  const provider = d._connectionProvider;
  const table = provider && provider._routingTableRegistry && provider._routingTableRegistry.get(database);
  if (!table) {
    return null;
  }
  const hostPorts = (list) => list.map((a) => a.asHostPort());
  return { writers: hostPorts(table.writers), readers: hostPorts(table.readers), routers: hostPorts(table.routers) };
}

module.exports = { neo4j, driver, query, failure, routingTable, eventually };
