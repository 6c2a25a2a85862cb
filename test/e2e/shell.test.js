'use strict';
// ccdr-shell as a user runs it against a real refhost: a query as the last
// argument, -f FILE, statements piped on stdin; output compared with the
// expected text (timings normalised).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const paths = require('./lib/paths');
const { startCluster } = require('./lib/refhost');

let cluster;
before(async () => {
  cluster = await startCluster({ servers: 3 });
  // The home database has one member; `wide` is on every server.
  const r = shell(['-a', cluster.neo4j(0), '-u', 'neo4j', '-p', 'secret', 'CREATE DATABASE wide TOPOLOGY 3 PRIMARIES WAIT']);
  assert.equal(r.stderr, '');
});
after(async () => {
  await cluster?.stop();
});

// Runs ccdr-shell; stdout is a pipe, so the default format is plain.
function shell(args, input) {
  const r = spawnSync(paths.ccdrShell(), args, { input: input ?? '', encoding: 'utf8', timeout: 60_000 });
  return {
    status: r.status,
    stdout: r.stdout.replace(/after \d+ ms, consumed after another \d+ ms/g, 'after X ms, consumed after another X ms'),
    stderr: r.stderr,
  };
}

const login = () => ['-a', cluster.neo4j(1), '-u', 'neo4j', '-p', 'secret'];

test('a query as the last argument, as a table', () => {
  const r = shell([
    ...login(),
    '--format',
    'table',
    "CREATE (n:Person {name: 'Alice', age: 42}) RETURN n.name AS name, n.age AS age, true AS ok",
  ]);
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(
    r.stdout,
    [
      '+----------------------+',
      '| name    | age | ok   |',
      '+----------------------+',
      '| "Alice" | 42  | TRUE |',
      '+----------------------+',
      '',
      '1 row available after X ms, consumed after another X ms',
      'Added 1 nodes, Set 2 properties, Added 1 labels',
      '',
    ].join('\n'),
  );
});

test('SHOW DATABASE in the seed\'s table form', () => {
  const r = shell([...login(), '--format', 'table', 'SHOW DATABASE wide YIELD name, type, access, role, currentStatus, statusMessage']);
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  const row = '| "wide" | "standard" | "read-write" | "primary" | "online"      | ""            |';
  const border = '+' + '-'.repeat(row.length - 2) + '+';
  assert.equal(
    r.stdout,
    [
      border,
      '| name   | type       | access       | role      | currentStatus | statusMessage |',
      border,
      row,
      row,
      row,
      border,
      '',
      '3 rows available after X ms, consumed after another X ms',
      '',
    ].join('\n'),
  );
});

test('several statements from a file, plain', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ccdr-shell-')), 'script.cypher');
  fs.writeFileSync(
    file,
    [
      '// a comment; with a semicolon',
      "CREATE (:City {name: 'Malmö'});",
      "MATCH (c:City) RETURN c.name AS name, [1, 'two'] AS list, {k: 1.5} AS map;",
      'UNWIND range(1, 3) AS i',
      'RETURN i, i * 2 AS double;',
      '',
    ].join('\n'),
  );
  try {
    const r = shell([...login(), '-f', file]);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.equal(r.stdout, ['name, list, map', '"Malmö", [1, "two"], {k: 1.5}', 'i, double', '1, 2', '2, 4', '3, 6', ''].join('\n'));
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

test('statements piped on stdin, with parameters', () => {
  const r = shell([...login(), '-P', '{who: "Bob"}', '-P', 'n => 2'], 'RETURN $who AS who, $n AS n;\nRETURN "piped" AS source\n');
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'who, n\n"Bob", 2\nsource\n"piped"\n');
});

test('read access mode reads on a reader and sees the session before it', () => {
  const r = shell([...login(), '--access-mode', 'read', '-d', 'neo4j', 'MATCH (n:Person) RETURN count(n) AS c']);
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'c\n1\n');
});

test('bolt:// to one server, and errors with the Neo4j code and exit status 1', () => {
  const ok = shell(['-a', cluster.bolt(2), '-u', 'neo4j', '-p', 'secret', '-d', 'wide', 'RETURN 1 AS x']);
  assert.equal(ok.status, 0);
  assert.equal(ok.stdout, 'x\n1\n');

  const syntax = shell([...login(), 'RETURN 1 +']);
  assert.equal(syntax.status, 1);
  assert.match(syntax.stderr, /^Neo\.ClientError\.Statement\.SyntaxError: /);

  const password = shell(['-a', cluster.neo4j(0), '-u', 'neo4j', '-p', 'wrong', 'RETURN 1']);
  assert.equal(password.status, 1);
  assert.match(password.stderr, /^Neo\.ClientError\.Security\.Unauthorized: /);

  const database = shell([...login(), '-d', 'nope', 'RETURN 1']);
  assert.equal(database.status, 1);
  assert.match(database.stderr, /^Neo\.ClientError\.Database\.DatabaseNotFound: /);
});

test('--version and --help', () => {
  const v = shell(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^ccdr-shell \d+\.\d+\.\d+\n$/);
  const h = shell(['--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /--access-mode \{read,write\}/);
});
