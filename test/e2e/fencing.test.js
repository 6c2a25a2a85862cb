'use strict';
// Fencing (issue 15, item 1): ALTER DATABASE foo SET ACCESS READ ONLY while
// 200 clients write through the official driver. No write that starts after
// the command returned commits; every acknowledged write is in the database;
// every member refuses writes with ForbiddenOnReadOnlyDatabase; SHOW
// DATABASE says read-only; the fence survives a restart; SET ACCESS READ
// WRITE lifts it. Bad ALTER DATABASE commands change nothing.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { makeHome, startRefhost } = require('./lib/refhost');
const { neo4j, driver, query, failure, eventually } = require('./lib/driver');

const READ_ONLY = 'Neo.ClientError.General.ForbiddenOnReadOnlyDatabase';
// A routing driver (neo4j://) handles ForbiddenOnReadOnlyDatabase as it does
// NotALeader: it drops the writer from its routing table and reports
// SessionExpired; a direct driver (bolt://) reports the server's code.
const REFUSED = [READ_ONLY, 'SessionExpired'];
const CLIENTS = Number(process.env.FENCE_CLIENTS || 200);

describe('ALTER DATABASE ... SET ACCESS: a fence on every member', () => {
  let home;
  let proc;
  const drivers = [];
  const open = (url, config = {}) => {
    const d = driver(url, 'neo4j', 'secret', config);
    drivers.push(d);
    return d;
  };
  const system = (text, params = {}) => query(open(`bolt://${home.boltAddresses[0]}`), text, params, { database: 'system' });
  const access = async () => (await system('SHOW DATABASE foo YIELD access RETURN access')).map((r) => r.access);
  const count = async () => {
    const rows = await query(open(`neo4j://${home.boltAddresses[0]}`), 'MATCH (w:W) RETURN count(w) AS n', {}, {
      database: 'foo',
      defaultAccessMode: neo4j.session.READ,
    });
    return rows[0].n.toNumber();
  };
  const waitOnline = () =>
    eventually(async () => {
      const rows = await system("SHOW DATABASE foo YIELD currentStatus RETURN currentStatus");
      return rows.length === 3 && rows.every((r) => r.currentStatus === 'online');
    }, { what: 'foo online on 3 servers' });

  before(async () => {
    home = await makeHome({ servers: 3 });
    proc = await startRefhost(home);
    await system('CREATE DATABASE foo TOPOLOGY 3 PRIMARIES WAIT');
  });

  after(async () => {
    await Promise.all(drivers.map((d) => d.close()));
    await proc?.stop();
    if (home) {
      fs.rmSync(home.home, { recursive: true, force: true });
    }
  });

  test(`${CLIENTS} clients writing: nothing commits after the fence, nothing acknowledged is lost`, async () => {
    const d = open(`neo4j://${home.boltAddresses[0]}`, { maxConnectionPoolSize: CLIENTS + 20 });
    let fenced = false;
    let stop = false;
    let acknowledged = 0;
    let acknowledgedAfter = 0;
    let refused = 0;
    const other = [];
    const client = async (c) => {
      for (let i = 0; !stop; i++) {
        const after = fenced;
        const session = d.session({ database: 'foo' });
        try {
          await session.run('CREATE (:W {client: $c, i: $i})', { c: neo4j.int(c), i: neo4j.int(i) });
          acknowledged++;
          acknowledgedAfter += after ? 1 : 0;
        } catch (e) {
          if (REFUSED.includes(e.code)) {
            refused++;
            await new Promise((r) => setTimeout(r, 20));
          } else {
            other.push(e.code || e.message);
            await new Promise((r) => setTimeout(r, 20));
          }
        } finally {
          await session.close();
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
    await eventually(() => acknowledged >= CLIENTS, { what: 'writes from the clients' });
    await system('ALTER DATABASE foo SET ACCESS READ ONLY WAIT');
    fenced = true;
    await eventually(() => refused >= CLIENTS, { what: 'every client refused at least once' });
    stop = true;
    await Promise.all(clients);
    assert.deepEqual(other, []);
    assert.equal(acknowledgedAfter, 0);
    assert.ok(acknowledged >= CLIENTS, `${acknowledged}`);
    assert.equal(await count(), acknowledged);
    assert.deepEqual(await access(), ['read-only', 'read-only', 'read-only']);
    // Each member refuses, the followers too (not NotALeader: no other server would take it).
    for (let s = 0; s < 3; s++) {
      const e = await failure(query(open(`bolt://${home.boltAddresses[s]}`), 'CREATE (:W)', {}, { database: 'foo' }));
      assert.equal(e.code, READ_ONLY, `server ${s}: ${e.message}`);
      assert.match(e.message, /it is read-only \(ALTER DATABASE foo SET ACCESS READ ONLY\)/);
    }
    // Reads go on.
    assert.equal(await count(), acknowledged);
  });

  test('the fence survives a restart; SET ACCESS READ WRITE lifts it', async () => {
    const before = await count();
    await proc.stop();
    proc = await startRefhost(home);
    await waitOnline();
    assert.deepEqual(await access(), ['read-only', 'read-only', 'read-only']);
    const e = await failure(query(open(`bolt://${home.boltAddresses[0]}`), 'CREATE (:W)', {}, { database: 'foo' }));
    assert.equal(e.code, READ_ONLY);
    const routed = await failure(query(open(`neo4j://${home.boltAddresses[0]}`), 'CREATE (:W)', {}, { database: 'foo' }));
    assert.equal(routed.code, 'SessionExpired');
    await system('ALTER DATABASE foo SET ACCESS READ WRITE');
    assert.deepEqual(await access(), ['read-write', 'read-write', 'read-write']);
    await query(open(`neo4j://${home.boltAddresses[0]}`), 'CREATE (:W)', {}, { database: 'foo' });
    assert.equal(await count(), before + 1);
  });

  test('bad ALTER DATABASE commands are refused and change nothing', async () => {
    const shown = () => system('SHOW DATABASES YIELD name, access, address, role RETURN name, access, address, role ORDER BY name, address');
    const beforeRows = await shown();
    const cases = [
      ['ALTER DATABASE foo SET ACCESS READ', 'Neo.ClientError.Statement.SyntaxError', /ONLY/],
      ['ALTER DATABASE foo SET ACCESS READ ONLY SET ACCESS READ WRITE', 'Neo.ClientError.Statement.SyntaxError', /Duplicate SET ACCESS clause/],
      ['ALTER DATABASE system SET ACCESS READ ONLY', 'Neo.ClientError.General.InvalidArguments', /system database cannot be changed/],
      ['ALTER DATABASE nope SET ACCESS READ ONLY', 'Neo.ClientError.Database.DatabaseNotFound', /nope/],
    ];
    for (const [text, code, message] of cases) {
      const e = await failure(system(text));
      assert.equal(e.code, code, `${text}: ${e.message}`);
      assert.match(e.message, message, text);
    }
    await system('ALTER DATABASE nope IF EXISTS SET ACCESS READ ONLY');
    assert.deepEqual(await shown(), beforeRows);
  });
});
