'use strict';
// Bolt over TLS with Neo4j's settings (server.bolt.tls_level and the bolt SSL
// policy), as drivers and ccdr-shell connect: neo4j+s:// (the CA trusted as
// a system CA would be, NODE_EXTRA_CA_CERTS in a child process, since Node
// reads it at start), bolt+ssc:// and neo4j+ssc:// (any certificate), and
// plaintext bolt:// against each level, with every refusal checked.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile, spawn } = require('node:child_process');
const { promisify } = require('node:util');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { makeHome, startRefhost } = require('./lib/refhost');
const { setConf } = require('./lib/clusters');
const { driver, query, failure } = require('./lib/driver');
const paths = require('./lib/paths');

const execFileAsync = promisify(execFile);
const GEN_CERTS = path.resolve(__dirname, '..', '..', 'examples', 'dr', 'gen-certs.sh');
const REQUIRED_MESSAGE =
  'This server requires an encrypted connection (server.bolt.tls_level=REQUIRED): connect with neo4j+s://, ' +
  'bolt+s://, neo4j+ssc:// or bolt+ssc://.';

// Runs `RETURN 1` through neo4j-driver in a child Node process whose system
// CAs include `ca`; resolves to {ok, code, message}.
function childQuery(url, ca) {
  const script = `
    const neo4j = require('neo4j-driver');
    (async () => {
      // Refusals are not retried for long: the test checks them, it does not wait them out.
      const d = neo4j.driver(process.argv[1], neo4j.auth.basic('neo4j', 'secret'), {
        logging: { level: 'error', logger: () => {} },
        connectionTimeout: 5000, connectionAcquisitionTimeout: 5000, maxTransactionRetryTime: 500 });
      try {
        const r = await d.executeQuery('RETURN 1 AS one', {}, { routing: neo4j.routing.WRITE });
        console.log(JSON.stringify({ ok: r.records[0].get('one').toNumber() === 1 }));
      } catch (e) {
        console.log(JSON.stringify({ ok: false, code: e.code, message: e.message }));
      } finally {
        await d.close();
      }
    })();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, url], {
      cwd: __dirname,
      env: { ...process.env, ...(ca ? { NODE_EXTRA_CA_CERTS: ca } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`child exited ${code}: ${out}\n${err}`));
      }
    });
  });
}

// ccdr-shell with `args`; resolves to {code, stdout, stderr}.
function shell(args, env = {}) {
  return new Promise((resolve) => {
    execFile(paths.ccdrShell(), args, { env: { ...process.env, ...env }, timeout: 30_000 }, (e, stdout, stderr) => {
      resolve({ code: e ? e.code : 0, stdout, stderr });
    });
  });
}

describe('Bolt over TLS at each server.bolt.tls_level', () => {
  let certs;
  let ca;
  const servers = {}; // level -> {home, proc, address}

  async function startLevel(level) {
    const home = await makeHome({ servers: 2 });
    if (level !== 'DISABLED') {
      fs.cpSync(path.join(certs, 'boltca', 'bolt'), path.join(home.home, 'certificates', 'bolt'), { recursive: true });
      setConf(home.home, { 'dbms.ssl.policy.bolt.enabled': 'true', 'server.bolt.tls_level': level });
    }
    const proc = await startRefhost(home);
    servers[level] = { home, proc, address: home.boltAddresses[0] };
  }

  before(async () => {
    certs = fs.mkdtempSync(path.join(os.tmpdir(), 'ccdr-e2e-bolt-certs-'));
    await execFileAsync(GEN_CERTS, [certs, 'boltca'], { env: { ...process.env, CCDR_CERT_SCOPE: 'bolt' } });
    ca = path.join(certs, 'boltca-ca.crt');
    await Promise.all(['DISABLED', 'OPTIONAL', 'REQUIRED'].map(startLevel));
  });
  after(async () => {
    for (const s of Object.values(servers)) {
      await s.proc.stop();
      fs.rmSync(s.home.home, { recursive: true, force: true });
    }
    fs.rmSync(certs, { recursive: true, force: true });
  });

  test('neo4j+s:// (routing, verified certificate) against OPTIONAL and REQUIRED', async () => {
    // The child processes run at once.
    const [optional, optionalDirect, required, requiredDirect, untrusted, untrustedRouted, disabled] =
      await Promise.all([
        childQuery(`neo4j+s://${servers.OPTIONAL.address}`, ca),
        childQuery(`bolt+s://${servers.OPTIONAL.address}`, ca),
        childQuery(`neo4j+s://${servers.REQUIRED.address}`, ca),
        childQuery(`bolt+s://${servers.REQUIRED.address}`, ca),
        // Without the CA the certificate is not trusted: refused by the
        // driver (a direct connection names the reason; routing finds no router).
        childQuery(`bolt+s://${servers.REQUIRED.address}`, null),
        childQuery(`neo4j+s://${servers.REQUIRED.address}`, null),
        // DISABLED speaks no TLS: the driver cannot connect.
        childQuery(`neo4j+s://${servers.DISABLED.address}`, ca),
      ]);
    for (const r of [optional, optionalDirect, required, requiredDirect]) {
      assert.deepEqual(r, { ok: true });
    }
    assert.equal(untrusted.ok, false);
    assert.equal(untrusted.code, 'ServiceUnavailable');
    assert.match(untrusted.message, /Server certificate is not trusted/);
    assert.equal(untrustedRouted.ok, false);
    assert.equal(untrustedRouted.code, 'ServiceUnavailable');
    assert.equal(disabled.ok, false);
    assert.equal(disabled.code, 'ServiceUnavailable');
  });

  test('bolt+ssc:// and neo4j+ssc:// (any certificate) against each level', async () => {
    for (const level of ['OPTIONAL', 'REQUIRED']) {
      for (const scheme of ['bolt+ssc', 'neo4j+ssc']) {
        const d = driver(`${scheme}://${servers[level].address}`);
        try {
          const rows = await query(d, 'RETURN 1 AS one');
          assert.equal(rows[0].one.toNumber(), 1, `${scheme} ${level}`);
        } finally {
          await d.close();
        }
      }
    }
    const d = driver(`bolt+ssc://${servers.DISABLED.address}`, 'neo4j', 'secret', { connectionTimeout: 5000 });
    try {
      const e = await failure(query(d, 'RETURN 1'));
      assert.equal(e.code, 'ServiceUnavailable');
    } finally {
      await d.close();
    }
  });

  test('plaintext bolt:// works with DISABLED and OPTIONAL, REQUIRED refuses it clearly', async () => {
    for (const level of ['DISABLED', 'OPTIONAL']) {
      const d = driver(`neo4j://${servers[level].address}`);
      try {
        assert.equal((await query(d, 'RETURN 1 AS one'))[0].one.toNumber(), 1, level);
      } finally {
        await d.close();
      }
    }
    const d = driver(`bolt://${servers.REQUIRED.address}`);
    try {
      const e = await failure(query(d, 'RETURN 1'));
      assert.equal(e.code, 'Neo.ClientError.Security.Unauthorized');
      assert.equal(e.message, REQUIRED_MESSAGE);
    } finally {
      await d.close();
    }
    const log = fs.readFileSync(path.join(servers.REQUIRED.home.home, 'logs', 'debug.log'), 'utf8');
    assert.match(log, /refused a plaintext client at 127\.0\.0\.1:\d+ \(server\.bolt\.tls_level=REQUIRED\)/);
    assert.match(log, /Bolt enabled on 127\.0\.0\.1:\d+ \(server 1, TLS REQUIRED\)/);
  });

  test('ccdr-shell: neo4j+s:// with a trusted CA, bolt+ssc://, and the refusals', async () => {
    const address = servers.REQUIRED.address;
    const s = await shell(['-a', `neo4j+s://${address}`, '-u', 'neo4j', '-p', 'secret', '--format', 'plain', 'RETURN 1 AS one'],
      { SSL_CERT_FILE: ca });
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, 'one\n1\n');
    const ssc = await shell(['-a', `bolt+ssc://${address}`, '-u', 'neo4j', '-p', 'secret', '--format', 'plain', 'RETURN 2 AS two']);
    assert.equal(ssc.code, 0, ssc.stderr);
    assert.equal(ssc.stdout, 'two\n2\n');
    const forced = await shell(['-a', `bolt://${address}`, '--encryption', 'true', '-u', 'neo4j', '-p', 'secret', 'RETURN 1'],
      { SSL_CERT_FILE: ca });
    assert.equal(forced.code, 0, forced.stderr);
    const untrusted = await shell(['-a', `neo4j+s://${address}`, '-u', 'neo4j', '-p', 'secret', 'RETURN 1'],
      { SSL_CERT_FILE: '/nonexistent' });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /^ServiceUnavailable: Could not establish an encrypted connection to 127\.0\.0\.1: certificate verify failed/);
    const plain = await shell(['-a', `bolt://${address}`, '-u', 'neo4j', '-p', 'secret', 'RETURN 1']);
    assert.equal(plain.code, 1);
    assert.equal(plain.stderr, `Neo.ClientError.Security.Unauthorized: ${REQUIRED_MESSAGE}\n`);
    const both = await shell(['-a', `neo4j+s://${address}`, '--encryption', 'false', 'RETURN 1']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--encryption: the address .* sets the encryption by its scheme/);
  });

  test('a bad TLS setting stops the start, naming it', async () => {
    const home = await makeHome({ servers: 1 });
    try {
      setConf(home.home, { 'server.bolt.tls_level': 'REQUIRED' });
      const e = await failure(startRefhost(home));
      assert.match(e.message, /Invalid setting server\.bolt\.tls_level='REQUIRED' .*needs the bolt SSL policy/);
      setConf(home.home, { 'dbms.ssl.policy.bolt.enabled': 'true' });
      const missing = await failure(startRefhost(home));
      assert.match(missing.message, /certificates\/bolt does not exist \(required because dbms\.ssl\.policy\.bolt\.enabled=true\)/);
    } finally {
      fs.rmSync(home.home, { recursive: true, force: true });
    }
  });
});
