#!/usr/bin/env node
'use strict';
// examples/clients/hold.js: an application that begins a write transaction,
// writes, and then says nothing (stuck between two writes, waiting on
// something else): it holds the database's write lock until the server ends
// its transaction or it is stopped. docs/operations.md §8 shows how an
// operator finds such a client (SHOW TRANSACTIONS) and ends it (TERMINATE
// TRANSACTION, db.transaction.timeout, a server stop).
//
//   node hold.js URL USER PASSWORD STATEMENT
//
// Uses the official driver (neo4j-driver: `npm install neo4j-driver` next to
// it, or NODE_PATH naming a node_modules that has it). The transaction's
// metadata is {app: "hold.js"}, as SHOW TRANSACTIONS shows it. It prints one
// line once STATEMENT ran; on SIGTERM or SIGINT it tries to commit (it
// "speaks again") and prints what the server answered, then exits: 0 when
// the commit went through, 1 otherwise.
const neo4j = require('neo4j-driver');

const [url, user, password, statement] = process.argv.slice(2);
if (!statement) {
  console.error('usage: node hold.js URL USER PASSWORD STATEMENT');
  process.exit(2);
}

async function main() {
  const driver = neo4j.driver(url, neo4j.auth.basic(user, password), {
    logging: { level: 'error', logger: () => {} },
  });
  const session = driver.session();
  let tx;
  try {
    tx = session.beginTransaction({ metadata: { app: 'hold.js' } });
    await tx.run(statement);
  } catch (e) {
    console.log(`hold.js: ${e.code || 'error'}: ${e.message}`);
    await driver.close();
    return 1;
  }
  console.log(`hold.js: transaction open after ${statement}; holding it until SIGTERM`);
  // Waits for a signal only: a timer keeps the process alive after the
  // server closed the connection (a stopped server), as a stuck
  // application stays alive.
  const alive = setInterval(() => {}, 1 << 30);
  await new Promise((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  clearInterval(alive);
  let code = 0;
  try {
    await tx.commit();
    console.log('hold.js: committed');
  } catch (e) {
    console.log(`hold.js: commit failed: ${e.code || 'error'}: ${e.message}`);
    code = 1;
  }
  await session.close().catch(() => {});
  await driver.close().catch(() => {});
  return code;
}

main().then((code) => process.exit(code));
