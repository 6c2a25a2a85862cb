'use strict';
// Users and roles as an operator of a Neo4j cluster sets them up, through
// neo4j-driver: the user and role commands on `system`, what each built-in
// role may do (read, write, administration, the internal.dbms procedures)
// with Neo4j's code for every refusal and nothing changed, changes in force
// at once on every server, the password policy and the other bad input.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startCluster } = require('./lib/refhost');
const { neo4j, driver, query, failure } = require('./lib/driver');

const ROLES = ['reader', 'editor', 'publisher', 'architect', 'admin'];
const PASSWORD = 'role-password-1';
const FORBIDDEN = 'Neo.ClientError.Security.Forbidden';

describe('built-in roles, user commands on system', () => {
  let cluster;
  let admin;
  const users = {}; // role (or 'public') -> driver of a user with it
  const system = (text, params = {}) => query(admin, text, params, { database: 'system' });
  const count = async (label, database = 'neo4j') =>
    (await query(admin, `MATCH (n:${label}) RETURN count(n) AS n`, {}, { database }))[0].n.toNumber();

  before(async () => {
    cluster = await startCluster({ servers: 3, plugin: true });
    admin = driver(cluster.neo4j(0));
    await query(admin, 'CREATE (:Seed {name: "seed"})');
    await system('CREATE DATABASE other WAIT');
    for (const role of [...ROLES, 'public']) {
      await system(`CREATE USER u_${role} SET PASSWORD $pw CHANGE NOT REQUIRED`, { pw: PASSWORD });
      if (role !== 'public') {
        await system(`GRANT ROLE ${role} TO u_${role}`);
      }
      users[role] = driver(cluster.neo4j(0), `u_${role}`, PASSWORD);
    }
  });
  after(async () => {
    await Promise.all(Object.values(users).map((d) => d.close()));
    await admin?.close();
    await cluster?.stop();
  });

  test('SHOW USERS and SHOW ROLES WITH USERS list what was created', async () => {
    const rows = await system('SHOW USERS YIELD user, roles, passwordChangeRequired WHERE user STARTS WITH "u_"');
    assert.deepEqual(
      rows.map((r) => [r.user, r.roles, r.passwordChangeRequired]),
      [
        ['u_admin', ['PUBLIC', 'admin'], false],
        ['u_architect', ['PUBLIC', 'architect'], false],
        ['u_editor', ['PUBLIC', 'editor'], false],
        ['u_public', ['PUBLIC'], false],
        ['u_publisher', ['PUBLIC', 'publisher'], false],
        ['u_reader', ['PUBLIC', 'reader'], false],
      ],
    );
    const roles = await system('SHOW ROLES');
    assert.deepEqual(
      roles.map((r) => r.role),
      ['PUBLIC', 'admin', 'architect', 'editor', 'publisher', 'reader'],
    );
    const members = await system('SHOW ROLES WITH USERS YIELD role, member WHERE role = "editor"');
    assert.deepEqual(members, [{ role: 'editor', member: 'u_editor' }]);
  });

  test('every role reads; editor and up write; a refused write is Forbidden and changes nothing', async () => {
    for (const role of ROLES) {
      const rows = await query(users[role], 'MATCH (n:Seed) RETURN count(n) AS n');
      assert.equal(rows[0].n.toNumber(), 1, role);
    }
    // PUBLIC alone has no read privilege: the default database looks empty.
    assert.equal((await query(users.public, 'MATCH (n:Seed) RETURN count(n) AS n'))[0].n.toNumber(), 0);

    for (const role of ['editor', 'publisher', 'architect', 'admin']) {
      await query(users[role], 'CREATE (:Written {by: $role})', { role });
    }
    for (const [role, roles] of [
      ['reader', '[PUBLIC, reader]'],
      ['public', '[PUBLIC]'],
    ]) {
      const e = await failure(query(users[role], 'CREATE (:Written {by: $role})', { role }));
      assert.equal(e.code, FORBIDDEN, role);
      assert.equal(e.gqlStatus, '42NFF');
      assert.equal(
        e.message,
        `Create node with labels 'Written' on database 'neo4j' is not allowed for user 'u_${role}' with roles ${roles}.`,
      );
      if (role === 'reader') {
        const set = await failure(query(users[role], 'MATCH (s:Seed) SET s.name = "changed"'));
        assert.equal(set.code, FORBIDDEN);
        assert.match(set.message, /^Set property for property 'name' on database 'neo4j' is not allowed/);
      } else {
        // PUBLIC matches nothing it may not read, so there is nothing to set.
        const r = await users[role].executeQuery('MATCH (s:Seed) SET s.name = "changed"');
        assert.equal(r.summary.counters.updates().propertiesSet, 0);
      }
    }
    // In a READ transaction the reader is refused for the privilege, not the access mode.
    const session = users.reader.session({ defaultAccessMode: neo4j.session.READ });
    try {
      const e = await failure(session.executeRead((tx) => tx.run('CREATE (:Written)')));
      assert.equal(e.code, FORBIDDEN);
    } finally {
      await session.close();
    }
    assert.equal(await count('Written'), 4);
    assert.equal((await query(admin, 'MATCH (s:Seed) RETURN s.name AS name'))[0].name, 'seed');
  });

  test('administration and the internal.dbms procedures need admin', async () => {
    for (const role of [...ROLES, 'public']) {
      // Each a thunk: run one after the other, never left pending.
      const create = () => query(users[role], `CREATE DATABASE db${role}`, {}, { database: 'system' });
      const show = () => query(users[role], 'SHOW USERS', {}, { database: 'system' });
      const proc = () => query(users[role], 'CALL internal.dbms.compareSecurity("nope")', {}, { database: 'system' });
      if (role === 'admin') {
        await create();
        await show();
        const e = await failure(proc());
        assert.equal(e.code, 'Neo.ClientError.Procedure.ProcedureCallFailed');
        assert.match(e.message, /database 'nope' does not exist/);
        continue;
      }
      const c = await failure(create());
      assert.equal(c.code, FORBIDDEN, role);
      assert.match(c.message, /^Permission denied for CREATE DATABASE\. Try executing SHOW USER PRIVILEGES/);
      const s = await failure(show());
      assert.equal(s.code, FORBIDDEN, role);
      assert.match(s.message, /^Permission denied for SHOW USER\./);
      const p = await failure(proc());
      assert.equal(p.code, FORBIDDEN, role);
      assert.match(p.message, new RegExp(`^Executing procedure is not allowed for user 'u_${role}' with roles \\[PUBLIC`));
      const g = await failure(query(users[role], `GRANT ROLE admin TO u_${role}`, {}, { database: 'system' }));
      assert.equal(g.code, FORBIDDEN);
      assert.match(g.message, /^Permission denied for ASSIGN ROLE\./);
    }
    const names = (await system('SHOW DATABASES YIELD name')).map((r) => r.name);
    assert.ok(names.includes('dbadmin'));
    assert.ok(!names.some((n) => n.startsWith('db') && n !== 'dbadmin'), names.join(','));
    const roles = await system('SHOW USERS YIELD user, roles WHERE user = "u_reader"');
    assert.deepEqual(roles[0].roles, ['PUBLIC', 'reader']); // the refused GRANT changed nothing
  });

  test('PUBLIC alone reaches the default database only', async () => {
    const e = await failure(query(users.public, 'RETURN 1', {}, { database: 'other' }));
    assert.equal(e.code, FORBIDDEN);
    assert.equal(e.message, "Database access is not allowed for user 'u_public' with roles [PUBLIC].");
    const ok = await query(users.reader, 'RETURN 1 AS one', {}, { database: 'other' });
    assert.equal(ok[0].one.toNumber(), 1);
  });

  test('user commands take effect at once on another server, for new and open sessions', async () => {
    // Created through server 1, used through servers 2 and 3, no restart.
    const on1 = driver(cluster.bolt(0));
    await query(on1, 'CREATE USER dana SET PASSWORD "dana-password" CHANGE NOT REQUIRED', {}, { database: 'system' });
    const dana = driver(cluster.bolt(1), 'dana', 'dana-password');
    const danaRouted = driver(cluster.neo4j(2), 'dana', 'dana-password');
    try {
      assert.equal((await query(dana, 'RETURN 1 AS one', {}, { database: 'system' }))[0].one.toNumber(), 1);
      const before = await failure(query(danaRouted, 'CREATE (:ByDana)'));
      assert.equal(before.code, FORBIDDEN);
      // Granted on server 3; dana's drivers keep their connections.
      const on3 = driver(cluster.bolt(2));
      try {
        await query(on3, 'GRANT ROLE editor TO dana', {}, { database: 'system' });
        await query(danaRouted, 'CREATE (:ByDana)');
        assert.equal(await count('ByDana'), 1);
        await query(on3, 'REVOKE ROLE editor FROM dana', {}, { database: 'system' });
        assert.equal((await failure(query(danaRouted, 'CREATE (:ByDana)'))).code, FORBIDDEN);
        // A new password: the old one fails on every server.
        await query(on3, 'ALTER USER dana SET PASSWORD "dana-password-2"', {}, { database: 'system' });
        const old = driver(cluster.bolt(1), 'dana', 'dana-password');
        try {
          const e = await failure(query(old, 'RETURN 1', {}, { database: 'system' }));
          assert.equal(e.code, 'Neo.ClientError.Security.Unauthorized');
        } finally {
          await old.close();
        }
      } finally {
        await on3.close();
      }
    } finally {
      await dana.close();
      await danaRouted.close();
      await on1.close();
    }
    assert.equal(await count('ByDana'), 1);
  });

  test('a new user must change the password first (CHANGE REQUIRED is the default)', async () => {
    await system('CREATE USER erin SET PASSWORD "erin-first-1"');
    await system('GRANT ROLE reader TO erin');
    const erin = driver(cluster.neo4j(0), 'erin', 'erin-first-1');
    try {
      const e = await failure(query(erin, 'RETURN 1'));
      assert.equal(e.code, 'Neo.ClientError.Security.CredentialsExpired');
      assert.match(e.message, /must be changed before you can use this instance/);
      await query(erin, "ALTER CURRENT USER SET PASSWORD FROM 'erin-first-1' TO 'erin-second-2'", {}, { database: 'system' });
    } finally {
      await erin.close();
    }
    const again = driver(cluster.neo4j(1), 'erin', 'erin-second-2');
    try {
      assert.equal((await query(again, 'MATCH (n:Seed) RETURN count(n) AS n'))[0].n.toNumber(), 1);
    } finally {
      await again.close();
    }
  });

  test('bad input: clear errors, nothing changed', async () => {
    const before = await system('SHOW USERS YIELD user, roles');
    const cases = [
      ['CREATE USER weak SET PASSWORD ""', 'Neo.ClientError.Statement.ArgumentError', 'A password cannot be empty.'],
      ['CREATE USER weak SET PASSWORD "short"', 'Neo.ClientError.Statement.ArgumentError', 'A password must be at least 8 characters.'],
      ['GRANT ROLE auditor TO u_reader', 'Neo.ClientError.General.InvalidArguments', "Failed to grant role 'auditor' to user 'u_reader': Role does not exist."],
      ['GRANT ROLE reader TO nobody', 'Neo.ClientError.General.InvalidArguments', "Failed to grant role 'reader' to user 'nobody': User does not exist."],
      ['DROP USER neo4j', 'Neo.ClientError.Statement.ArgumentError', "Failed to delete the specified user 'neo4j': Deleting yourself is not allowed."],
      ['CREATE USER u_reader SET PASSWORD "another-password"', 'Neo.ClientError.General.InvalidArguments', "Failed to create the specified user 'u_reader': User already exists."],
      ['REVOKE ROLE PUBLIC FROM u_reader', 'Neo.ClientError.General.InvalidArguments', "Failed to revoke role 'PUBLIC' from user 'u_reader': The PUBLIC role cannot be revoked."],
    ];
    for (const [text, code, message] of cases) {
      const e = await failure(system(text));
      assert.equal(e.code, code, text);
      assert.equal(e.message, message, text);
    }
    assert.deepEqual(await system('SHOW USERS YIELD user, roles'), before);
    // IF NOT EXISTS makes the duplicate a no-op, and the old password still works.
    const summary = await admin.executeQuery('CREATE USER u_reader IF NOT EXISTS SET PASSWORD "whatever-123"', {}, { database: 'system' });
    assert.equal(summary.summary.counters.systemUpdates(), 0);
    assert.equal((await query(users.reader, 'RETURN 1 AS one'))[0].one.toNumber(), 1);
  });

  test('no password reaches debug.log', async () => {
    const log = fs.readFileSync(path.join(cluster.home, 'logs', 'debug.log'), 'utf8');
    assert.match(log, /security: user 'dana' created by 'neo4j'/);
    for (const secret of [PASSWORD, 'dana-password', 'erin-first-1', 'erin-second-2', 'another-password']) {
      assert.equal(log.includes(secret), false, secret);
    }
  });
});
