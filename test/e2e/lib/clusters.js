'use strict';
// Two refhost clusters for the replica tests: certificates from
// examples/dr/gen-certs.sh (one CA per cluster, each trusting the other's and its own),
// libccdr.so in each home's plugins/, the cluster SSL policy on, metrics as
// CSV every second. Each cluster is one refhost process, stopped by its PID.
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { makeHome, startRefhost } = require('./refhost');
const { driver, query, eventually } = require('./driver');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const execFileAsync = promisify(execFile);
const GEN_CERTS = path.join(ROOT, 'examples', 'dr', 'gen-certs.sh');

// Generates the certificates of `names` into a fresh folder; resolves to it.
// removeCertificates(dir) deletes it (CA keys included).
async function generateCertificates(names = ['clusterA', 'clusterB']) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccdr-e2e-certs-'));
  await execFileAsync(GEN_CERTS, [dir, ...names]);
  return dir;
}

function removeCertificates(dir) {
  if (dir) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Settings every replica test cluster gets; `settings` adds or overrides.
function baseSettings(extra = {}) {
  return {
    'dbms.ssl.policy.cluster.enabled': 'true',
    'dbms.ssl.policy.cluster.client_auth': 'REQUIRE',
    'server.metrics.csv.interval': '1s',
    // Tests restart upstreams: a short cap keeps reconnection quick.
    'ccdr.backoff.max': '500ms',
    ...extra,
  };
}

function splitTls(settings) {
  const tls = {};
  const rest = {};
  for (const [key, value] of Object.entries(settings)) {
    (key.startsWith('dbms.ssl.') ? tls : rest)[key] = value;
  }
  return { tls, rest };
}

// Rewrites (or adds) `key=value` lines of HOME/conf/neo4j.conf.
function setConf(home, settings) {
  const file = path.join(home, 'conf', 'neo4j.conf');
  let lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  for (const [key, value] of Object.entries(settings)) {
    lines = lines.filter((l) => !l.startsWith(`${key}=`));
    lines.push(`${key}=${value}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

// A cluster named `name` (a gen-certs.sh name) with the plugin and TLS.
// Options as makeHome's (servers, modes, users, settings, plugin: another
// build of the plugin) plus `certs` (a generateCertificates folder).
async function startDrCluster(name, options) {
  // set-initial-password checks neo4j.conf, and an enabled SSL policy needs
  // its folder: the policy is switched on once the certificates are in place.
  const { tls, rest } = splitTls(baseSettings(options.settings));
  const home = await makeHome({ ...options, plugin: options.plugin ?? true, settings: rest });
  fs.cpSync(path.join(options.certs, name, 'cluster'), path.join(home.home, 'certificates', 'cluster'), {
    recursive: true,
  });
  setConf(home.home, tls);
  let proc;
  try {
    proc = await startRefhost(home);
  } catch (e) {
    fs.rmSync(home.home, { recursive: true, force: true });
    throw e;
  }
  const drivers = [];
  const cluster = {
    ...home,
    name,
    get proc() {
      return proc;
    },
    bolt: (i = 0) => `bolt://${home.boltAddresses[i]}`,
    neo4j: (i = 0) => `neo4j://${home.boltAddresses[i]}`,
    // A driver closed by stop(); user defaults to neo4j.
    driver(url = cluster.neo4j(0), user = 'neo4j', password = home.password, config = {}) {
      const d = driver(url, user, password, config);
      drivers.push(d);
      return d;
    },
    // Runs `text` against the system database through server 1.
    async system(text, params = {}) {
      const d = driver(cluster.bolt(0), 'neo4j', home.password);
      try {
        return await query(d, text, params, { database: 'system' });
      } finally {
        await d.close();
      }
    },
    // The SHOW DATABASE rows of `db` (YIELD * when `all`).
    async show(db, all = false) {
      return cluster.system(`SHOW DATABASE \`${db}\`${all ? ' YIELD *' : ''}`);
    },
    async names() {
      const rows = await cluster.system('SHOW DATABASES YIELD name, address RETURN name, address');
      return rows.map((r) => `${r.name}@${r.address}`).sort();
    },
    // lastCommittedTxn of every member of `db`, as numbers.
    async txIds(db) {
      const rows = await cluster.system(`SHOW DATABASE \`${db}\` YIELD lastCommittedTxn`);
      return rows.map((r) => Number(r.lastCommittedTxn));
    },
    // Waits until every member of `db` is online on `count` servers (any count when omitted).
    async waitOnline(db, count) {
      return eventually(async () => {
        const rows = await cluster.show(db);
        const ok = rows.length > 0 && (count === undefined || rows.length === count);
        return ok && rows.every((r) => r.currentStatus === 'online') ? rows : null;
      });
    },
    // The process: SIGKILL, SIGTERM-then-restart, or start again with changed settings.
    async kill() {
      process.kill(proc.pid, 'SIGKILL');
      return proc.exited;
    },
    async start(settings = {}) {
      setConf(home.home, settings);
      proc = await startRefhost(home);
    },
    async restart(settings = {}) {
      await proc.stop();
      await cluster.start(settings);
    },
    async stop() {
      await Promise.all(drivers.map((d) => d.close()));
      await proc.stop();
      fs.rmSync(home.home, { recursive: true, force: true });
    },
  };
  return cluster;
}

// Starts several clusters at once: [[name, options], ...] -> clusters in that
// order. If one fails to start, the others are stopped before the error is
// passed on, so no process outlives a failed before().
async function startDrClusters(specs) {
  const results = await Promise.allSettled(specs.map(([name, options]) => startDrCluster(name, options)));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(results.filter((r) => r.status === 'fulfilled').map((r) => r.value.stop()));
    throw failed.reason;
  }
  return results.map((r) => r.value);
}

// Last value of <prefix>.database.<db>.transaction.last_committed_tx_id in
// the CSV files of `home`: {server: value}. A home with several servers
// writes metrics/<server-id>/, a single server writes metrics/ itself ('').
function lastCommittedTxMetric(home, db) {
  const root = path.join(home, 'metrics');
  const file = `neo4j.database.${db}.transaction.last_committed_tx_id.csv`;
  const out = {};
  const dirs = fs.existsSync(root) ? ['', ...fs.readdirSync(root)] : [];
  for (const server of dirs) {
    const csv = path.join(root, server, file);
    if (!fs.existsSync(csv)) {
      continue;
    }
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    out[server] = Number(lines[lines.length - 1].split(',')[1]);
  }
  return out;
}

// Waits until every member of `replicaDb` in `replica` has the highest tx id
// of `upstreamDb` in `upstream`; returns that id.
async function waitCaughtUp(upstream, upstreamDb, replica, replicaDb, timeoutMs = 30_000) {
  return eventually(
    async () => {
      const up = Math.max(...(await upstream.txIds(upstreamDb)));
      const down = await replica.txIds(replicaDb);
      return down.length > 0 && down.every((t) => t === up) ? up : null;
    },
    { timeoutMs },
  );
}

// The createReplicaDatabase call as the seed writes it.
function createReplicaQuery() {
  return 'CALL internal.dbms.createReplicaDatabase($name, $primaries, $secondaries, {remote: $remote, addresses: $addresses})';
}

module.exports = {
  generateCertificates,
  removeCertificates,
  startDrCluster,
  startDrClusters,
  lastCommittedTxMetric,
  waitCaughtUp,
  createReplicaQuery,
  setConf,
};
