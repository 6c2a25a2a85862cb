'use strict';
// Helpers of the packaging and monitoring tests: commands that must
// succeed, processes started and stopped by PID, Cypher through ccdr-shell,
// waiting, refhost HOMEs with TLS, and Prometheus's HTTP API.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePorts } = require('../../e2e/lib/ports');
const { eventually } = require('../../support/eventually');

const repo = path.resolve(__dirname, '../../..');

// Printed when a whole test file cannot run here; CTest reports the test
// as skipped (SKIP_REGULAR_EXPRESSION in test/integration/packaging.cmake).
function skipAll(reason) {
  console.log(`CCDR-TEST-SKIPPED: ${reason}`);
  process.exit(0);
}

// Runs a command; throws with its output unless it exits 0.
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) {
    throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  }
  if (r.status !== 0 && !options.allowFailure) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

function has(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).status === 0;
}

// Every process started here and not seen to exit: killed by PID if the
// test process ends first.
const running = new Set();
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

// Starts argv; resolves once `ready` matches its stdout or stderr (or at
// once without `ready`). stop() sends SIGTERM, then SIGKILL after 15 s.
function start(argv, { env = {}, ready, timeoutMs = 60_000, cwd } = {}) {
  const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child.pid);
  let out = '';
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child.pid);
      resolve({ code, signal });
    });
  });
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const handle = {
    pid: child.pid,
    output: () => out,
    exited,
    async stop() {
      if (!running.has(child.pid)) {
        return exited;
      }
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => running.has(child.pid) && process.kill(child.pid, 'SIGKILL'), 15_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  if (!ready) {
    return Promise.resolve(handle);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(async () => {
      await handle.stop();
      reject(new Error(`${argv.join(' ')} was not ready within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const check = () => {
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(handle);
      }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} exited before it was ready (code ${code}, signal ${signal}):\n${out}`));
    });
  });
}

const REFHOST_READY = /^refhost: cluster ready: \d+ servers?$/m;

// Polls fn until it returns a value other than undefined/false (the tests'
// one wait-for-condition helper, test/support/eventually.js).
function waitFor(what, fn, timeoutMs = 30_000, everyMs = 200) {
  return eventually(fn, { what, timeoutMs, intervalMs: everyMs, done: (v) => v !== undefined && v !== false });
}

// Runs Cypher with ccdr-shell (--format plain) and returns the rows as
// arrays of the printed values.
function cypher(shell, { address, password, database, query, user = 'neo4j' }) {
  const args = ['-a', address, '-u', user, '-p', password, '--format', 'plain', '--non-interactive'];
  if (database) {
    args.push('-d', database);
  }
  args.push(query);
  const r = run(shell, args);
  const lines = r.stdout.split('\n').filter((l) => l.length > 0);
  return lines.slice(1).map((l) => l.split(', '));
}

// lastCommittedTxn of `database` as SHOW DATABASE reports it (one number
// per member row).
function lastCommittedTxn(shell, address, password, database) {
  const rows = cypher(shell, {
    address,
    password,
    database: 'system',
    query: `SHOW DATABASE \`${database}\` YIELD name, lastCommittedTxn RETURN lastCommittedTxn`,
  });
  return rows.map((r) => Number(r[0]));
}

// Certificates of two clusters (examples/dr/gen-certs.sh): returns
// {main: dir, dr: dir}, each a certificates/cluster directory.
function makeCertificates(dir) {
  run('bash', [path.join(repo, 'examples/dr/gen-certs.sh'), dir, 'main', 'dr']);
  return { main: path.join(dir, 'main/cluster'), dr: path.join(dir, 'dr/cluster') };
}

function copyDir(from, to) {
  fs.cpSync(from, to, { recursive: true });
}

// neo4j.conf text with `settings` applied: a key given again replaces the
// earlier line (the refhost takes the last value; replacing keeps it clear).
function withSettings(text, settings) {
  const keys = new Set(Object.keys(settings));
  const kept = text.split('\n').filter((l) => !keys.has(l.split('=')[0].trim()));
  return [...kept, '# test settings', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)].join('\n') + '\n';
}

// The settings of a one-server cluster on free 127.0.0.1 ports, with the
// cluster SSL policy on (the plugin replicates only over TLS).
async function clusterSettings(extra = {}) {
  const [bolt, cluster, prometheus] = await freePorts(3);
  return {
    ports: { bolt, cluster, prometheus },
    settings: {
      'server.bolt.listen_address': `127.0.0.1:${bolt}`,
      'server.cluster.listen_address': `127.0.0.1:${cluster}`,
      'dbms.ssl.policy.cluster.enabled': 'true',
      'server.metrics.prometheus.enabled': 'true',
      'server.metrics.prometheus.endpoint': `127.0.0.1:${prometheus}`,
      'server.metrics.csv.interval': '1s',
      ...extra,
    },
  };
}

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Prometheus HTTP API: an instant query's result vector.
async function promQuery(port, expr) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = await res.json();
  if (body.status !== 'success') {
    throw new Error(`query ${expr}: ${body.errorType}: ${body.error}`);
  }
  return body.data.result;
}

module.exports = {
  repo,
  skipAll,
  run,
  has,
  start,
  REFHOST_READY,
  waitFor,
  cypher,
  lastCommittedTxn,
  makeCertificates,
  copyDir,
  withSettings,
  clusterSettings,
  tempDir,
  promQuery,
  freePorts,
};
