#!/usr/bin/env node
'use strict';
// examples/clients/writers.js: CLIENTS concurrent writers, each committing
// one node at a time in a managed transaction (the driver's executeQuery,
// which retries transient errors for up to 2 s), as the busy applications
// of docs/operations.md §8.3 do while their server is stopped.
//
//   node writers.js URL USER PASSWORD CLIENTS
//
// Each writer creates (:Invoice {writer: W, n: N}) for N = 1, 2, ... and
// stops at the first error its retries do not overcome (or at SIGTERM or
// SIGINT). When every writer has stopped it prints one line:
// "<acknowledged> acknowledged; errors {<code>: <writers that ended with it>}".
// Every acknowledged write is one the server said it committed: after a
// restart, the database holds at least these. Uses the official driver
// (neo4j-driver: `npm install neo4j-driver` next to it, or NODE_PATH).
const neo4j = require('neo4j-driver');

const [url, user, password, clientsArg] = process.argv.slice(2);
const clients = Number(clientsArg);
if (!Number.isInteger(clients) || clients < 1) {
  console.error('usage: node writers.js URL USER PASSWORD CLIENTS (CLIENTS a whole number from 1)');
  process.exit(2);
}

async function main() {
  const driver = neo4j.driver(url, neo4j.auth.basic(user, password), {
    maxTransactionRetryTime: 2000,
    maxConnectionPoolSize: clients + 10,
    logging: { level: 'error', logger: () => {} },
  });
  let stopping = false;
  process.once('SIGTERM', () => (stopping = true));
  process.once('SIGINT', () => (stopping = true));
  let acknowledged = 0;
  const errors = {};
  async function writer(w) {
    for (let n = 1; !stopping; n++) {
      try {
        await driver.executeQuery('CREATE (:Invoice {writer: $w, n: $n})', { w, n });
        acknowledged++;
      } catch (e) {
        const code = e.code || 'error';
        errors[code] = (errors[code] || 0) + 1;
        return;
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, (_, w) => writer(w + 1)));
  console.log(`${acknowledged} acknowledged; errors ${JSON.stringify(errors)}`);
  await driver.close().catch(() => {});
}

main().then(() => process.exit(0));
