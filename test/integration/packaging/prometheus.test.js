'use strict';
// Prometheus for real: Debian's prometheus binary (not its service) scrapes
// the Prometheus endpoints of two refhost clusters, "main" and "dr" (one
// server each, libccdr.so loaded, the cluster SSL policy on), every second,
// with examples/monitoring's rules loaded. What its HTTP API answers must be
// what SHOW DATABASE ... YIELD lastCommittedTxn says: the upstream database
// and the replica and the plugin's lag. Every recording rule and dashboard expression must return
// live data, and every rule must evaluate without error.
// Installs the prometheus package when missing and running as root.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const lib = require('./lib');
const names = require('./monitoring_names');

const PASSWORD = 'secret';
const REFHOST = process.env.REFHOST_BIN;
const SHELL = process.env.CCDR_SHELL_BIN;
const PLUGIN = process.env.CCDR_PLUGIN;

if (!REFHOST || !SHELL || !PLUGIN) {
  throw new Error('REFHOST_BIN, CCDR_SHELL_BIN and CCDR_PLUGIN must be set: run through ctest -R prometheus_scrape');
}
if (!lib.has('prometheus')) {
  if (process.getuid() !== 0 || !lib.has('apt-get')) {
    lib.skipAll('prometheus is not installed and this is not root: apt-get install prometheus (scripts/setup.sh does)');
  }
  lib.run('apt-get', ['install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=300', '--no-install-recommends', 'prometheus'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

describe('Prometheus scraping two refhost clusters', () => {
  const work = lib.tempDir('ccdr-prometheus-');
  const clusters = {};
  const processes = [];
  let promPort;

  async function startCluster(name, certs) {
    const home = path.join(work, name);
    for (const d of ['conf', 'plugins', 'certificates']) {
      fs.mkdirSync(path.join(home, d), { recursive: true });
    }
    fs.copyFileSync(PLUGIN, path.join(home, 'plugins/libccdr.so'));
    lib.copyDir(certs, path.join(home, 'certificates/cluster'));
    // The drift check every second, so its metric is there to scrape.
    const { ports, settings } = await lib.clusterSettings({ 'ccdr.security.compare_interval': '1s' });
    fs.writeFileSync(path.join(home, 'conf/neo4j.conf'), lib.withSettings(`# ${name}: prometheus.test.js`, settings));
    lib.run(REFHOST, ['set-initial-password', '--home', home, PASSWORD]);
    const proc = await lib.start([REFHOST, '--home', home], { ready: lib.REFHOST_READY });
    processes.push(proc);
    clusters[name] = { home, ports, proc, bolt: `bolt://127.0.0.1:${ports.bolt}` };
  }

  const q = (c, database, query) => lib.cypher(SHELL, { address: clusters[c].bolt, password: PASSWORD, database, query });
  const txn = (c, database) => lib.lastCommittedTxn(SHELL, clusters[c].bolt, PASSWORD, database)[0];
  // One sample's value, from the cluster's target.
  async function sample(expr) {
    const result = await lib.promQuery(promPort, expr);
    return result.length === 1 ? Number(result[0].value[1]) : undefined;
  }

  before(async () => {
    const certs = lib.makeCertificates(path.join(work, 'certs'));
    await startCluster('main', certs.main);
    await startCluster('dr', certs.dr);
    q('main', 'system', 'CREATE DATABASE foo WAIT');
    q('main', 'foo', 'UNWIND range(1, 20) AS i CREATE (:Item {i: i})');
    q('dr', 'system',
      `CALL internal.dbms.createReplicaDatabase("foo-replica", 1, 0, {remote: "foo", addresses: ["127.0.0.1:${clusters.main.ports.cluster}"]})`);
    const upstream = txn('main', 'foo');
    await lib.waitFor('the replica to catch up', () => txn('dr', 'foo-replica') === upstream, 60_000);

    [promPort] = await lib.freePorts(1);
    const config = path.join(work, 'prometheus.yml');
    const target = (c) => `127.0.0.1:${clusters[c].ports.prometheus}`;
    fs.writeFileSync(config, [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${names.rulesFile}`,
      'scrape_configs:',
      '  - job_name: ccdr',
      '    static_configs:',
      `      - targets: ["${target('main')}"]`,
      '        labels: {cluster: main}',
      `      - targets: ["${target('dr')}"]`,
      '        labels: {cluster: dr}',
      '',
    ].join('\n'));
    const prom = await lib.start([
      'prometheus', `--config.file=${config}`, `--storage.tsdb.path=${path.join(work, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn',
    ]);
    processes.push(prom);
    await lib.waitFor('prometheus to be ready', async () => {
      const res = await fetch(`http://127.0.0.1:${promPort}/-/ready`);
      return res.status === 200;
    }, 60_000);
    await lib.waitFor('both targets to be scraped', async () => {
      const up = await lib.promQuery(promPort, 'up{job="ccdr"} == 1');
      return up.length === 2;
    }, 30_000);
  });

  after(async () => {
    for (const p of processes.reverse()) {
      await p.stop();
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('gives the upstream database\'s last_committed_tx_id that SHOW DATABASE gives', async () => {
    const shown = txn('main', 'foo');
    assert.ok(shown > 0);
    const scraped = await lib.waitFor(`last_committed_tx_id = ${shown}`, async () => {
      const v = await sample('neo4j_database_foo_transaction_last_committed_tx_id_total{cluster="main"}');
      return v === shown ? v : undefined;
    }, 15_000);
    assert.equal(scraped, shown);
  });

  it('gives the replica\'s last_committed_tx_id and the plugin\'s lag that SHOW DATABASE implies', async () => {
    const upstream = txn('main', 'foo');
    const shown = txn('dr', 'foo-replica');
    assert.equal(shown, upstream);
    const scraped = await lib.waitFor(`the replica's last_committed_tx_id = ${shown}`, async () => {
      const v = await sample('neo4j_database_foo_replica_transaction_last_committed_tx_id_total{cluster="dr"}');
      return v === shown ? v : undefined;
    }, 15_000);
    assert.equal(scraped, shown);
    // Caught up: no transaction is missing, so no lag in either unit.
    const lag = await lib.waitFor('lag_seconds = 0', async () => {
      const v = await sample('neo4j_database_foo_replica_ccdr_replica_lag_seconds{cluster="dr"}');
      return v === 0 ? { v } : undefined;
    }, 15_000);
    assert.equal(lag.v, 0);
    assert.equal(await sample('neo4j_database_foo_replica_ccdr_replica_lag_tx{cluster="dr"}'), upstream - shown);
    assert.equal(await sample('neo4j_database_foo_replica_ccdr_replica_connected{cluster="dr"}'), 1);
  });

  it('evaluates every rule of ccdr-rules.yml without error', async () => {
    const groups = await lib.waitFor('the rules to be evaluated', async () => {
      const res = await (await fetch(`http://127.0.0.1:${promPort}/api/v1/rules`)).json();
      const g = res.data.groups;
      return g.length === 1 && g.every((x) => x.rules.every((r) => r.health === 'ok')) ? g : undefined;
    }, 15_000);
    assert.deepEqual(groups.map((g) => g.name), ['ccdr']);
    const alerts = groups[0].rules.filter((r) => r.type === 'alerting').map((r) => r.name);
    assert.ok(alerts.includes('CcdrReplicaLagHigh') && alerts.includes('CcdrReplicaDisconnected'));
  });

  it('has live data for every recording rule and dashboard expression', async () => {
    const exprs = [
      ...names.recordingRules().map((r) => r.record),
      ...names.dashboardTargets().map((d) => d.expr.replaceAll('$database', '.*')),
    ];
    // Rates need two scrapes within their window: waited for, not assumed.
    for (const expr of exprs) {
      const result = await lib.waitFor(`data for ${expr}`, async () => {
        const r = await lib.promQuery(promPort, expr);
        return r.length > 0 ? r : undefined;
      }, 20_000);
      assert.ok(result.length > 0, expr);
    }
  });
});
