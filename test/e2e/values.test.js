'use strict';
// Every PackStream value type round-trips through `RETURN $x`; nodes,
// relationships and paths come back from the graph.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startCluster } = require('./lib/refhost');
const { neo4j, driver, query } = require('./lib/driver');

const { Date: CDate, Time, LocalTime, DateTime, LocalDateTime, Duration, Point } = neo4j.types;

let cluster;
let d;
before(async () => {
  cluster = await startCluster({ servers: 3 });
  d = driver(cluster.neo4j(0));
});
after(async () => {
  await d?.close();
  await cluster?.stop();
});

async function echo(value) {
  const rows = await query(d, 'RETURN $x AS x', { x: value });
  assert.equal(rows.length, 1);
  return rows[0].x;
}

test('scalars, strings, bytes, lists and maps', async () => {
  assert.equal(await echo(null), null);
  assert.equal(await echo(true), true);
  assert.equal(await echo(false), false);
  for (const n of [0, -16, -17, 127, 128, -129, 32768, 2147483648, '-9223372036854775808', '9223372036854775807']) {
    const back = await echo(neo4j.int(n));
    assert.ok(neo4j.isInt(back));
    assert.equal(back.toString(), neo4j.int(n).toString());
  }
  assert.equal(await echo(3.25), 3.25);
  assert.equal(await echo(-0.5), -0.5);
  assert.equal(await echo(''), '');
  assert.equal(await echo('grüße, 世界 🌍'), 'grüße, 世界 🌍');
  const long = 'x'.repeat(100_000);
  assert.equal(await echo(long), long);
  const bytes = await echo(new Int8Array([0, 1, -1, 127]));
  assert.deepEqual(Array.from(bytes), [0, 1, -1, 127]);
  const list = await echo([neo4j.int(1), 'two', [3.5, null], { k: true }]);
  assert.equal(list[0].toNumber(), 1);
  assert.equal(list[1], 'two');
  assert.deepEqual(list[2], [3.5, null]);
  assert.deepEqual(list[3], { k: true });
  const map = await echo({ a: neo4j.int(1), nested: { list: ['x'], empty: {} } });
  assert.equal(map.a.toNumber(), 1);
  assert.deepEqual(map.nested, { list: ['x'], empty: {} });
});

test('temporal values', async () => {
  const values = [
    new CDate(2024, 2, 29),
    new CDate(1969, 12, 31),
    new Time(12, 30, 15, 123456789, 3600),
    new LocalTime(1, 2, 3, 4),
    new DateTime(2024, 1, 2, 3, 4, 5, 6, 3600),
    new DateTime(2024, 7, 1, 12, 0, 0, 0, undefined, 'Europe/Stockholm'),
    new LocalDateTime(2000, 1, 1, 0, 0, 0, 1),
    new Duration(14, 3, 86400, 5),
  ];
  const fields = ['year', 'month', 'day', 'hour', 'minute', 'second', 'nanosecond', 'timeZoneId', 'months', 'days',
    'seconds', 'nanoseconds'];
  for (const v of values) {
    const back = await echo(v);
    assert.equal(back.constructor.name, v.constructor.name);
    for (const f of fields) {
      if (v[f] !== undefined) {
        assert.equal(String(back[f]), String(v[f]), `${v}: ${f}`);
      }
    }
    if (v.timeZoneOffsetSeconds !== undefined) {
      assert.equal(String(back.timeZoneOffsetSeconds), String(v.timeZoneOffsetSeconds), `${v}: offset`);
    }
  }
  // A zone id comes back with the zone's offset at that instant (CEST).
  const zoned = await echo(values[5]);
  assert.equal(zoned.toString(), '2024-07-01T12:00:00+02:00[Europe/Stockholm]');
});

test('spatial values', async () => {
  for (const p of [new Point(neo4j.int(4326), 12.5, -57.25), new Point(neo4j.int(4979), 1, 2, 3.5)]) {
    const back = await echo(p);
    assert.ok(neo4j.isPoint(back));
    assert.equal(back.srid.toNumber(), p.srid.toNumber());
    assert.equal(back.x, p.x);
    assert.equal(back.y, p.y);
    assert.equal(back.z, p.z);
  }
});

test('nodes, relationships and paths', async () => {
  const created = await query(
    d,
    "CREATE (a:Person:Actor {name: 'A', born: 1970})-[r:KNOWS {since: 2020}]->(b:Person {name: 'B'}) RETURN a, r, b",
  );
  const { a, r, b } = created[0];
  assert.ok(a instanceof neo4j.types.Node);
  assert.deepEqual([...a.labels].sort(), ['Actor', 'Person']);
  assert.equal(a.properties.name, 'A');
  assert.equal(a.properties.born.toNumber(), 1970);
  assert.match(a.elementId, /\S/);
  assert.ok(r instanceof neo4j.types.Relationship);
  assert.equal(r.type, 'KNOWS');
  assert.equal(r.properties.since.toNumber(), 2020);
  assert.equal(r.startNodeElementId, a.elementId);
  assert.equal(r.endNodeElementId, b.elementId);

  const paths = await query(d, "MATCH p = (x:Person {name: 'A'})-[:KNOWS]->(y) RETURN p");
  const p = paths[0].p;
  assert.ok(p instanceof neo4j.types.Path);
  assert.equal(p.start.properties.name, 'A');
  assert.equal(p.end.properties.name, 'B');
  assert.equal(p.segments.length, 1);
  assert.equal(p.segments[0].relationship.type, 'KNOWS');
  assert.equal(p.segments[0].relationship.elementId, r.elementId);
});
