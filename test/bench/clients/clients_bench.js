'use strict';
// Many clients at once against one refhost server with a replica attached
// (issue 23), through the official JavaScript driver: commit throughput and
// latency of 4 writers, of many writers, then of 4 writers beside the
// readers and of many writers beside the same readers, one connection per
// writer and reader;
// the server's memory; and a check that every acknowledged commit is on the
// upstream and on the replica. Exits 1 if one is missing or a client saw an
// error the driver does not retry; the figures are printed, not asserted.
//
//   node clients_bench.js [--quick] [--writers N] [--readers N] [--seconds S] [--baseline-seconds S]
//                         [--reader-pause MS]
// Full form: 200 writers and 800 readers (1 000 connections) for 60 s,
// the other phases 20 s. --quick: the same clients for 10 s, 6 s.
// Writers write as fast as they are answered; a reader waits a random
// 0..2x --reader-pause (default 1 000 ms) between reads, as an application
// does: readers that never pause saturate this one client process (the
// official driver costs the client more CPU per transaction than the
// server), and the writers' figures would measure the client.
const { Acks, startWorld, runPhase, checkAcks, nonRetryable, waitCaughtUp, DB, REPLICA_DB } = require(
  '../../e2e/lib/load',
);

function options(argv) {
  const quick = argv.includes('--quick');
  const o = { quick, writers: 200, readers: 800, seconds: quick ? 10 : 60, baselineSeconds: quick ? 6 : 20,
              readerPauseMs: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const next = () => Number(argv[++i]);
    if (argv[i] === '--writers') o.writers = next();
    else if (argv[i] === '--readers') o.readers = next();
    else if (argv[i] === '--seconds') o.seconds = next();
    else if (argv[i] === '--baseline-seconds') o.baselineSeconds = next();
    else if (argv[i] === '--reader-pause') o.readerPauseMs = next();
    else if (argv[i] !== '--quick') throw new Error(`unknown argument ${argv[i]}`);
  }
  return o;
}

const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const mib = (kib) => (kib / 1024).toFixed(0);

function row(name, r) {
  return [
    name.padEnd(28),
    String(r.writers).padStart(7),
    String(r.readers).padStart(7),
    r.commitsPerSecond.toFixed(0).padStart(8),
    ms(r.writeP50).padStart(8),
    ms(r.writeP99).padStart(8),
    r.readsPerSecond.toFixed(0).padStart(8),
    ms(r.readP50).padStart(8),
    ms(r.readP99).padStart(8),
    `${mib(r.peakMemory.rss)}/${mib(r.peakMemory.anon)}`.padStart(12),
  ].join(' ');
}

async function main() {
  const o = options(process.argv.slice(2));
  const world = await startWorld();
  const { A, B } = world;
  const acks = new Acks();
  let failed = false;
  try {
    const common = { url: A.bolt(0), password: A.password, acks, pid: A.proc.pid, readerPauseMs: o.readerPauseMs };
    const phases = [];
    phases.push(['4 writers', await runPhase({ ...common, writers: 4, readers: 0, seconds: o.baselineSeconds })]);
    phases.push([
      `${o.writers} writers`,
      await runPhase({ ...common, writers: o.writers, readers: 0, seconds: o.baselineSeconds, writerBase: 500 }),
    ]);
    phases.push([
      `4 writers + readers`,
      await runPhase({ ...common, writers: 4, readers: o.readers, seconds: o.baselineSeconds, writerBase: 1000 }),
    ]);
    phases.push([
      `${o.writers} writers + readers`,
      await runPhase({ ...common, writers: o.writers, readers: o.readers, seconds: o.seconds, writerBase: 2000 }),
    ]);

    console.log(`clients benchmark${o.quick ? ' (quick)' : ''}: one refhost server (database ${DB}) with a replica ` +
                `(${REPLICA_DB}) attached; managed write transactions (executeQuery CREATE), auto-commit READ ` +
                `queries over 10 nodes every ${o.readerPauseMs} ms on average per reader; one connection per client; ` +
                `load average before: ${require('node:os').loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(['phase'.padEnd(28), 'writers', 'readers', 'commit/s', 'w p50ms', 'w p99ms', 'read/s', 'r p50ms',
                 'r p99ms', 'RSS/anon MiB'].join(' '));
    for (const [name, r] of phases) {
      console.log(row(name, r));
    }
    const [, alone] = phases[0];
    const [, manyAlone] = phases[1];
    const [, withReaders] = phases[2];
    const [, many] = phases[3];
    const pct = (a, b) => `${((100 * a.commitsPerSecond) / b.commitsPerSecond).toFixed(0)} %`;
    console.log(`commit throughput of ${o.writers} writers as a share of 4 writers': ${pct(manyAlone, alone)} without ` +
                `readers, ${pct(many, withReaders)} beside the same readers`);

    for (const [name, r] of phases) {
      for (const [code, e] of Object.entries(r.errors)) {
        console.log(`${name}: ${e.count} x ${code} (${e.retryable ? 'retryable' : 'NOT retryable'}): ${e.example}`);
      }
      const bad = nonRetryable(r.errors);
      if (bad.length > 0) {
        failed = true;
      }
    }

    const caughtUp = await waitCaughtUp(A, DB, B, REPLICA_DB, 120_000);
    const up = await checkAcks(A, DB, acks);
    const down = await checkAcks(B, REPLICA_DB, acks);
    console.log(`acknowledged commits: ${acks.size}; on the upstream ${up.present} (${up.nodes} nodes), on the ` +
                `replica ${down.present} (${down.nodes} nodes), replica at tx ${caughtUp}`);
    if (up.missingCount > 0 || down.missingCount > 0) {
      console.log(`MISSING: upstream ${up.missingCount} (${up.missing.join(', ')}), replica ${down.missingCount} ` +
                  `(${down.missing.join(', ')})`);
      failed = true;
    }
  } finally {
    await world.stop();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
