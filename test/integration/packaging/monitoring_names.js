'use strict';
// The metric names that examples/monitoring uses: the recording rules of
// ccdr-rules.yml (name and the raw families their selectors match) and the
// names in the Grafana dashboard's expressions. Shared by the static
// dashboard test and the live Prometheus test.
const fs = require('node:fs');
const path = require('node:path');

const monitoring = path.resolve(__dirname, '../../../examples/monitoring');
const rulesFile = path.join(monitoring, 'prometheus/ccdr-rules.yml');
const dashboardFile = path.join(monitoring, 'grafana/ccdr-dashboard.json');

// [{record, expr, patterns: [regex source of each {__name__=~"..."}]}]
function recordingRules() {
  const text = fs.readFileSync(rulesFile, 'utf8');
  const rules = [];
  const re = /^\s*- record: (\S+)\n\s*expr: (.+)$/gm;
  let m;
  while ((m = re.exec(text)) !== null) {
    const patterns = [...m[2].matchAll(/\{__name__=~"([^"]+)"\}/g)].map((p) => p[1]);
    rules.push({ record: m[1], expr: m[2], patterns });
  }
  return rules;
}

// The alert rules' expressions (for names used directly, not recorded).
function alertExprs() {
  const text = fs.readFileSync(rulesFile, 'utf8');
  const out = [];
  const re = /^\s*- alert: (\S+)\n\s*expr: (\|\n((?:\s{10,}.*\n)+)|.+)/gm;
  let m;
  while ((m = re.exec(text)) !== null) {
    out.push({ alert: m[1], expr: (m[3] ?? m[2]).trim() });
  }
  return out;
}

const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless',
  'sum', 'min', 'max', 'avg', 'count', 'rate', 'increase', 'irate', 'time', 'label_replace', 'humanizeDuration',
]);

// Metric names in a PromQL expression: identifiers outside strings and
// label matchers that are not functions, keywords or numbers.
function metricNames(expr) {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, '{}').replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(on|ignoring|by|without|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set();
  for (const m of bare.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)) {
    const word = m[1];
    if (!m[2] && !KEYWORDS.has(word)) {
      names.add(word);
    }
  }
  return [...names];
}

function dashboard() {
  return JSON.parse(fs.readFileSync(dashboardFile, 'utf8'));
}

// Every target of every panel: {panel, expr}.
function dashboardTargets(d = dashboard()) {
  const out = [];
  for (const p of d.panels ?? []) {
    for (const t of p.targets ?? []) {
      out.push({ panel: p.title, expr: t.expr });
    }
  }
  return out;
}

module.exports = { rulesFile, dashboardFile, recordingRules, alertExprs, metricNames, dashboard, dashboardTargets };
