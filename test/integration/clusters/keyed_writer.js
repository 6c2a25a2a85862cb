'use strict';
// Clients that write with known keys and record what was acknowledged, for
// the region-switch crash rounds (region_switch_crash_rounds.sh).
//   node keyed_writer.js NAME CLIENTS ACK_FILE PASSWORD TARGET...
// TARGET is neo4j://127.0.0.1:PORT/DATABASE. Each client creates
// (:K {key: "NAME-c-i"}) in the first target, one auto-commit transaction
// after the other; when a write fails (fenced, a replica, a cluster killed)
// it moves to the next target, round robin, and goes on with a new key. A
// key is appended to ACK_FILE ("key target", one write(2) per line) only
// after the server acknowledged its commit: a line there is a promise the
// test checks. SIGTERM stops the clients after their write in flight.
const fs = require('node:fs');
const path = require('node:path');

const neo4j = require(require.resolve('neo4j-driver', { paths: [path.join(__dirname, '../../e2e')] }));

const [name, clientsArg, ackFile, password, ...targets] = process.argv.slice(2);
if (!name || !clientsArg || !ackFile || !password || targets.length === 0) {
  console.error('usage: keyed_writer.js NAME CLIENTS ACK_FILE PASSWORD TARGET...');
  process.exit(2);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ack = fs.openSync(ackFile, 'a');
let stop = false;
process.on('SIGTERM', () => {
  stop = true;
});

const drivers = targets.map((t) => {
  const m = /^(neo4j|bolt):\/\/([^/]+)\/(.+)$/.exec(t);
  if (!m) {
    console.error(`bad target ${t}: expected neo4j://HOST:PORT/DATABASE`);
    process.exit(2);
  }
  return {
    label: t,
    db: m[3],
    driver: neo4j.driver(`${m[1]}://${m[2]}`, neo4j.auth.basic('neo4j', password), {
      connectionTimeout: 2000,
      connectionAcquisitionTimeout: 3000,
      maxTransactionRetryTime: 0,
      logging: { level: 'error', logger: () => {} },
    }),
  };
});

let acked = 0;
let failed = 0;
async function client(c) {
  let t = 0;
  for (let i = 1; !stop; i++) {
    const target = drivers[t];
    const key = `${name}-${c}-${i}`;
    const session = target.driver.session({ database: target.db });
    try {
      await session.run('CREATE (:K {key: $key})', { key });
      fs.writeSync(ack, `${key} ${target.label}\n`);
      acked += 1;
    } catch (e) {
      failed += 1;
      t = (t + 1) % drivers.length;
      await sleep(20);
    } finally {
      await session.close().catch(() => {});
    }
  }
}

(async () => {
  await Promise.all(Array.from({ length: Number(clientsArg) }, (_, c) => client(c)));
  await Promise.all(drivers.map((d) => d.driver.close().catch(() => {})));
  fs.closeSync(ack);
  console.log(`writer ${name}: ${acked} acknowledged, ${failed} failed`);
  process.exit(0);
})();
