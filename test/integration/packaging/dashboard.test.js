'use strict';
// The Grafana dashboard and the Prometheus rules of examples/monitoring,
// without running anything: the dashboard is valid JSON a Grafana can
// import, every ccdr:* name it or an alert uses is recorded by
// ccdr-rules.yml, and every metric family the rules read is documented
// (docs/metrics.md for the plugin's, docs/refhost.md for the host's).
// integration.prometheus_scrape checks the same names against live data.
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const names = require('./monitoring_names');

const docs = path.resolve(__dirname, '../../../docs');

test('the dashboard is valid JSON with a Prometheus target in every panel', () => {
  const d = names.dashboard();
  assert.equal(typeof d.title, 'string');
  assert.equal(typeof d.uid, 'string');
  assert.ok(Array.isArray(d.panels) && d.panels.length >= 8, 'at least 8 panels');
  const ids = new Set();
  for (const p of d.panels) {
    assert.ok(!ids.has(p.id), `panel id ${p.id} is unique`);
    ids.add(p.id);
    assert.ok(p.gridPos && p.gridPos.w > 0 && p.gridPos.h > 0, `panel "${p.title}" has a position`);
    assert.ok(Array.isArray(p.targets) && p.targets.length > 0, `panel "${p.title}" has targets`);
    for (const t of p.targets) {
      assert.equal(p.datasource.type, 'prometheus');
      assert.ok(typeof t.expr === 'string' && t.expr.length > 0, `panel "${p.title}" target ${t.refId} has an expr`);
      let depth = 0;
      for (const c of t.expr) {
        depth += c === '(' ? 1 : c === ')' ? -1 : 0;
        assert.ok(depth >= 0, `unbalanced parentheses in ${t.expr}`);
      }
      assert.equal(depth, 0, `unbalanced parentheses in ${t.expr}`);
    }
  }
  const titles = d.panels.map((p) => p.title.toLowerCase()).join('\n');
  for (const topic of ['lag (seconds)', 'lag (transactions)', 'per second', 'compression', 'reconnects']) {
    assert.ok(titles.includes(topic), `a panel about ${topic}`);
  }
});

test('every ccdr:* name of the dashboard and the alerts is recorded by ccdr-rules.yml', () => {
  const recorded = new Set(names.recordingRules().map((r) => r.record));
  assert.ok(recorded.size >= 10);
  const used = [
    ...names.dashboardTargets().flatMap((t) => names.metricNames(t.expr).map((n) => [n, `panel "${t.panel}"`])),
    ...names.alertExprs().flatMap((a) => names.metricNames(a.expr).map((n) => [n, `alert ${a.alert}`])),
  ];
  assert.ok(used.length > 10);
  for (const [name, where] of used) {
    if (name.includes(':')) {
      assert.ok(recorded.has(name), `${name} (${where}) is not recorded by ccdr-rules.yml`);
    }
  }
  const variable = names.dashboard().templating.list.find((v) => v.name === 'database');
  assert.match(variable.definition, /label_values\((ccdr:[a-z_:0-9]+), database\)/);
  assert.ok(recorded.has(variable.definition.match(/\((ccdr:[a-z_:0-9]+),/)[1]));
});

// Prometheus names of the dotted names a document writes in backticks
// (`<prefix>.database.<db>.transaction.last_committed_tx_id`).
function documentedHostNames() {
  const text = fs.readFileSync(path.join(docs, 'refhost.md'), 'utf8');
  const out = new Set();
  for (const m of text.matchAll(/`<prefix>\.([a-z0-9_.<>-]+)`/g)) {
    out.add(`neo4j_${m[1].replace(/[.-]/g, '_')}`);
  }
  return out;
}

test('the host metrics the rules and alerts read are documented in docs/refhost.md', () => {
  const text = fs.readFileSync(path.join(docs, 'refhost.md'), 'utf8');
  let checked = 0;
  for (const rule of names.recordingRules()) {
    for (const p of rule.patterns) {
      const m = p.match(/_transaction_([a-z_]+?)(_total)?$/);
      if (m) {
        assert.ok(text.includes(`\`${m[1]}\``), `${p} (${rule.record}): ${m[1]} is not in docs/refhost.md`);
        checked++;
      }
    }
  }
  const documented = documentedHostNames();
  const raw = [...names.dashboardTargets(), ...names.alertExprs()]
    .flatMap((t) => names.metricNames(t.expr))
    .filter((n) => !n.includes(':'));
  for (const n of raw) {
    assert.ok(documented.has(n), `${n} is not a documented refhost metric (docs/refhost.md)`);
    checked++;
  }
  assert.ok(checked >= 3);
});

test('the plugin metrics the rules read are documented in docs/metrics.md', (t) => {
  const file = path.join(docs, 'metrics.md');
  if (!fs.existsSync(file)) {
    t.skip('docs/metrics.md is not in this tree yet (it comes with the replication engine)');
    return;
  }
  const text = fs.readFileSync(file, 'utf8');
  let checked = 0;
  for (const rule of names.recordingRules()) {
    for (const p of rule.patterns) {
      const m = p.match(/_ccdr_(?:replica|upstream_replica_\.\+)_([a-z_]+?)(_total)?$/);
      if (m) {
        assert.ok(text.includes(`${m[1]}\``), `${p} (${rule.record}): ${m[1]} is not in docs/metrics.md`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 8);
});
