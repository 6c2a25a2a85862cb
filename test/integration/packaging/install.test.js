'use strict';
// The packages on a real machine: apt-get installs ccdr-plugin and
// ccdr-refhost (built by install.packages_build into CCDR_DEB_DIR), refhost
// runs from the installed files as user ccdr in two HOMEs made from the
// installed layout, loads libccdr.so from /usr/lib/ccdr/plugins and (once
// the plugin has its replica procedures) replicates from one to the other;
// the tools ccdr-gen-certs, ccdr-make-home and ccdr-lag-plot run by their
// installed names from a scratch folder, with the PATH an operator has;
// then apt-get remove and purge leave nothing of the packages but the
// operator's data. Needs root. The machine is left as it was found, pass
// or fail: the packages purged, the HOME and the user ccdr removed when this
// test made them.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');
const lib = require('./lib');

const HOME = '/var/lib/ccdr';
const ETC = '/etc/ccdr';
const PACKAGES = ['ccdr-plugin', 'ccdr-refhost'];
const PASSWORD = 'install-test';
const SHELL = '/usr/bin/ccdr-shell';
const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };
const APT = ['-y', '-q', '-o', 'DPkg::Lock::Timeout=300'];
// An operator's PATH: the installed tools, nothing of the source tree.
const OPERATOR_ENV = { ...process.env, PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
const TOOLS = { 'ccdr-plugin': ['ccdr-gen-certs'], 'ccdr-refhost': ['ccdr-make-home', 'ccdr-lag-plot'] };

function packageStatus(name) {
  const r = lib.run('dpkg-query', ['-W', '-f=${Status}', name], { allowFailure: true });
  return r.status === 0 ? r.stdout.trim() : 'not-installed';
}

// --- may this test touch the machine? -------------------------------------
if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  lib.skipAll('the install test needs root: it installs the packages with apt-get on this machine');
}
for (const tool of ['apt-get', 'dpkg', 'setpriv', 'getent']) {
  if (!lib.has(tool)) {
    lib.skipAll(`${tool} is missing: the install test needs a Debian system`);
  }
}
for (const p of PACKAGES) {
  const s = packageStatus(p);
  if (s !== 'not-installed' && !s.endsWith('not-installed')) {
    lib.skipAll(`${p} is already on this machine (${s}): the install test would replace and purge it`);
  }
}
for (const dir of [HOME, ETC]) {
  if (fs.existsSync(dir)) {
    lib.skipAll(`${dir} exists: the install test would purge it`);
  }
}
const debDir = process.env.CCDR_DEB_DIR;
if (!debDir) {
  throw new Error('CCDR_DEB_DIR is not set: run through ctest -L install (install.packages_build builds the packages)');
}
const debs = PACKAGES.map((p) => {
  const found = fs.existsSync(debDir) ? fs.readdirSync(debDir).filter((f) => f.startsWith(`${p}_`) && f.endsWith('.deb')) : [];
  if (found.length !== 1) {
    throw new Error(`expected one ${p}_*.deb in ${debDir}, found ${found.length}: run install.packages_build`);
  }
  return path.join(debDir, found[0]);
});
const userExisted = lib.run('getent', ['passwd', 'ccdr'], { allowFailure: true }).status === 0;
const groupExisted = lib.run('getent', ['group', 'ccdr'], { allowFailure: true }).status === 0;

// --- leaving the machine as it was -----------------------------------------
const processes = [];
let work;
let cleaned = false;
function cleanup() {
  if (cleaned) {
    return;
  }
  cleaned = true;
  for (const p of processes) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  const installed = PACKAGES.filter((p) => packageStatus(p) !== 'not-installed' && !packageStatus(p).endsWith('not-installed'));
  if (installed.length) {
    lib.run('apt-get', ['purge', ...APT, ...installed], { env: { ...process.env, ...APT_ENV }, allowFailure: true });
  }
  fs.rmSync(HOME, { recursive: true, force: true });
  fs.rmSync(ETC, { recursive: true, force: true });
  if (!userExisted) {
    lib.run('userdel', ['ccdr'], { allowFailure: true });
  }
  if (!groupExisted) {
    lib.run('groupdel', ['ccdr'], { allowFailure: true });
  }
  if (work) {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    cleanup();
    process.exit(1);
  });
}
process.on('exit', cleanup);

// A base port P with P .. P+n-1 free on 127.0.0.1 now (ccdr-make-home
// numbers the ports of its servers from P).
async function freeBase(n) {
  const listen = (port) => new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
  for (let attempt = 0; attempt < 200; attempt++) {
    const [base] = await lib.freePorts(1);
    const held = [];
    for (let p = base; p < base + n; p++) {
      const server = await listen(p);
      if (!server) {
        break;
      }
      held.push(server);
    }
    await Promise.all(held.map((srv) => new Promise((resolve) => srv.close(resolve))));
    if (held.length === n) {
      return base;
    }
  }
  throw new Error(`no ${n} consecutive free ports`);
}

// Runs a program as user ccdr (same PID: setpriv execs).
function asCcdr(argv) {
  return ['setpriv', '--reuid=ccdr', '--regid=ccdr', '--init-groups', ...argv];
}
function runAsCcdr(argv) {
  const [cmd, ...args] = asCcdr(argv);
  return lib.run(cmd, args);
}

describe('ccdr packages installed with apt-get', () => {
  const clusters = {};
  const fileLists = {};

  before(() => {
    work = lib.tempDir('ccdr-install-');
    fs.chmodSync(work, 0o755); // user ccdr reaches the HOMEs inside
  });
  after(async () => {
    for (const p of processes) {
      await p.stop();
    }
    cleanup();
  });

  it('installs both packages', () => {
    const r = lib.run('apt-get', ['install', ...APT, '--no-install-recommends', ...debs], {
      env: { ...process.env, ...APT_ENV },
    });
    for (const p of PACKAGES) {
      assert.equal(packageStatus(p), 'install ok installed', `${p} after apt-get install:\n${r.stdout}`);
      fileLists[p] = lib.run('dpkg', ['-L', p]).stdout.split('\n').filter((l) => l.startsWith('/'));
    }
  });

  it('has the control fields operators and hosts rely on', () => {
    const field = (p, f) => lib.run('dpkg-query', ['-W', `-f=\${${f}}`, p]).stdout;
    assert.match(field('ccdr-plugin', 'Provides'), /\bccdr-abi-1\b/);
    assert.match(field('ccdr-plugin', 'Enhances'), /\bccdr-refhost\b/);
    assert.match(field('ccdr-plugin', 'Depends'), /libssl3/, 'dpkg-shlibdeps found libssl');
    assert.match(field('ccdr-refhost', 'Depends'), /adduser/);
    assert.match(field('ccdr-refhost', 'Conffiles'), /\/etc\/ccdr\/neo4j\.conf [0-9a-f]{32}/);
  });

  it('lays out programs, plugin, unit, configuration, user and HOME', () => {
    for (const f of ['/usr/bin/refhost', '/usr/bin/ccdr-shell']) {
      fs.accessSync(f, fs.constants.X_OK);
    }
    assert.ok(fs.statSync('/usr/lib/ccdr/plugins/libccdr.so').isFile());
    assert.ok(fs.statSync('/lib/systemd/system/ccdr-refhost.service').isFile());
    const passwd = lib.run('getent', ['passwd', 'ccdr']).stdout.trim().split(':');
    assert.equal(passwd[5], HOME);
    assert.match(passwd[6], /nologin|false/);
    const uid = Number(passwd[2]);
    const gid = Number(passwd[3]);
    assert.ok(uid < 1000, 'a system user');
    const conf = fs.statSync(`${ETC}/neo4j.conf`);
    assert.equal(conf.mode & 0o777, 0o640);
    assert.equal(conf.uid, 0);
    assert.equal(conf.gid, gid);
    for (const d of ['', '/data', '/logs', '/metrics', '/certificates/cluster', '/certificates/cluster/trusted',
      '/certificates/cluster/revoked']) {
      const st = fs.statSync(HOME + d);
      assert.ok(st.isDirectory(), `${HOME}${d}`);
      assert.equal(st.mode & 0o777, 0o750, `${HOME}${d} mode`);
      assert.equal(st.uid, uid, `${HOME}${d} owner`);
    }
    assert.equal(fs.readlinkSync(`${HOME}/conf`), ETC);
    assert.match(fs.readFileSync(`${ETC}/neo4j.conf`, 'utf8'), /^server\.directories\.plugins=\/usr\/lib\/ccdr\/plugins$/m);
    // Installing never enables or starts the service.
    assert.ok(!fs.existsSync('/etc/systemd/system/multi-user.target.wants/ccdr-refhost.service'));
  });

  it('installs the tools in /usr/bin with gzip\'d man pages', () => {
    for (const [p, tools] of Object.entries(TOOLS)) {
      for (const tool of tools) {
        const bin = `/usr/bin/${tool}`;
        fs.accessSync(bin, fs.constants.X_OK);
        assert.ok(fileLists[p].includes(bin), `${p} holds ${bin}`);
        const man = `/usr/share/man/man1/${tool}.1.gz`;
        assert.ok(fileLists[p].includes(man), `${p} holds ${man}`);
        const page = lib.run('gzip', ['-dc', man]).stdout;
        assert.match(page, new RegExp(`^\\.TH ${tool.toUpperCase()} 1`, 'm'), `${man} is a man page`);
      }
    }
    // --help names the installed command, not the source tree's script.
    for (const tool of ['ccdr-make-home', 'ccdr-gen-certs']) {
      const r = lib.run(tool, ['--help'], { env: OPERATOR_ENV });
      assert.match(r.stdout, new RegExp(`^usage: ${tool} `));
    }
  });

  it('runs ccdr-gen-certs and ccdr-make-home by their installed names from a scratch folder', async () => {
    const scratch = path.join(work, 'operator');
    fs.mkdirSync(scratch);
    const tool = (name, args) => lib.run(name, args, { cwd: scratch, env: OPERATOR_ENV, allowFailure: true });
    let r = tool('ccdr-gen-certs', ['certs', 'clusterA', 'clusterB']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^clusterB: subject=O = ccdr, OU = clusterB, CN = localhost issuer=O = ccdr, CN = clusterB CA/m);
    assert.ok(fs.existsSync(path.join(scratch, 'certs/clusterB/cluster/trusted/clusterA-ca.crt')));
    // refhost comes from PATH (/usr/bin/refhost): --password works without --refhost.
    const bolt = await freeBase(2);
    const cluster = await freeBase(2);
    r = tool('ccdr-make-home', ['B', '--servers', '2', '--bolt-port', String(bolt), '--cluster-port', String(cluster),
      '--modes', 'PRIMARY,SECONDARY', '--certs', 'certs/clusterB/cluster',
      '--plugin', '/usr/lib/ccdr/plugins/libccdr.so', '--password', PASSWORD]);
    assert.equal(r.status, 0, r.stderr);
    const home = path.join(scratch, 'B');
    assert.match(fs.readFileSync(path.join(home, 'conf/neo4j.conf'), 'utf8'),
      new RegExp(`^refhost\\.server\\.2\\.bolt\\.listen_address=127\\.0\\.0\\.1:${bolt + 1}$`, 'm'));
    // A second run on the same HOME is refused and changes nothing.
    r = tool('ccdr-make-home', ['B', '--servers', '1']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^ccdr-make-home: B exists and is not an empty folder/);
    // The home runs, with the password it was given.
    const proc = await lib.start(['/usr/bin/refhost', '--home', home], { ready: lib.REFHOST_READY });
    processes.push(proc);
    const rows = lib.cypher(SHELL, {
      address: `bolt://127.0.0.1:${bolt + 1}`, password: PASSWORD, database: 'system',
      query: 'SHOW SERVERS YIELD name RETURN name',
    });
    assert.deepEqual(rows.map(([name]) => name).sort(), ['"server-1"', '"server-2"']);
    // ccdr-lag-plot maps server-2 to the folder of its server id.
    const servers = lib.cypher(SHELL, {
      address: `bolt://127.0.0.1:${bolt}`, password: PASSWORD, database: 'system',
      query: 'SHOW SERVERS YIELD name, serverId RETURN name, serverId',
    });
    const [, id2] = servers.find(([name]) => name === '"server-2"');
    r = tool('ccdr-lag-plot', ['--metrics', 'B/metrics/server-2', 'foo', 'lag.png']);
    assert.equal(r.status, 1, 'no replica foo in B');
    assert.match(r.stderr, new RegExp(`^ccdr-lag-plot: server-2's metrics: B/metrics/${JSON.parse(id2)}$`, 'm'));
    const { code } = await proc.stop();
    assert.equal(code, 0, proc.output());
  });

  it('systemd-analyze verify accepts the installed unit', (t) => {
    if (!lib.has('systemd-analyze')) {
      t.skip('systemd-analyze is missing');
      return;
    }
    const r = lib.run('systemd-analyze', ['verify', '--man=no', '/lib/systemd/system/ccdr-refhost.service'], {
      allowFailure: true,
    });
    const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /ccdr-refhost/.test(l));
    assert.deepEqual(ours, [], 'no complaint about ccdr-refhost.service');
  });

  it('runs refhost as user ccdr from two HOMEs made from the installed layout', async () => {
    const certs = lib.makeCertificates(path.join(work, 'certs'));
    const base = fs.readFileSync(`${ETC}/neo4j.conf`, 'utf8');
    for (const name of ['main', 'dr']) {
      const home = path.join(work, name);
      lib.run('cp', ['-a', HOME, home]); // owner, modes, the conf link
      fs.rmSync(path.join(home, 'conf'));
      fs.mkdirSync(path.join(home, 'conf'));
      const { ports, settings } = await lib.clusterSettings();
      fs.writeFileSync(path.join(home, 'conf/neo4j.conf'), lib.withSettings(base, settings));
      fs.rmSync(path.join(home, 'certificates/cluster'), { recursive: true });
      lib.copyDir(certs[name], path.join(home, 'certificates/cluster'));
      lib.run('chown', ['-R', 'ccdr:ccdr', home]);
      runAsCcdr(['/usr/bin/refhost', 'set-initial-password', '--home', home, PASSWORD]);
      const proc = await lib.start(asCcdr(['/usr/bin/refhost', '--home', home]), { ready: lib.REFHOST_READY });
      processes.push(proc);
      clusters[name] = { home, ports, proc, bolt: `bolt://127.0.0.1:${ports.bolt}` };
    }
    for (const c of Object.values(clusters)) {
      const rows = lib.cypher(SHELL, { address: c.bolt, password: PASSWORD, query: 'RETURN 1 AS one' });
      assert.deepEqual(rows, [['1']]);
      // Written by the service user, inside its HOME.
      assert.equal(fs.statSync(path.join(c.home, 'data/system')).uid, fs.statSync(HOME).uid);
    }
  });

  it('loads libccdr.so from /usr/lib/ccdr/plugins', async () => {
    for (const c of Object.values(clusters)) {
      const log = fs.readFileSync(path.join(c.home, 'logs/debug.log'), 'utf8');
      assert.match(log, /loaded plugin \S+ \S+ from \/usr\/lib\/ccdr\/plugins\/libccdr\.so/);
      const text = await (await fetch(`http://127.0.0.1:${c.ports.prometheus}/metrics`)).text();
      assert.match(text, /^neo4j_dbms_ccdr_\w+/m, 'the plugin reports metrics');
      assert.match(text, /^neo4j_dbms_ssl_cluster_certificate_not_after_seconds\{server="[^"]+"\} \d/m);
    }
  });

  it('replicates a database from one installed HOME to the other', async () => {
    const { main, dr } = clusters;
    lib.cypher(SHELL, { address: main.bolt, password: PASSWORD, database: 'system', query: 'CREATE DATABASE foo WAIT' });
    lib.cypher(SHELL, {
      address: main.bolt, password: PASSWORD, database: 'foo',
      query: 'UNWIND range(1, 50) AS i CREATE (:Item {i: i})',
    });
    lib.cypher(SHELL, {
      address: dr.bolt, password: PASSWORD, database: 'system',
      query: `CALL internal.dbms.createReplicaDatabase("foo-replica", 1, 0, {remote: "foo", addresses: ["127.0.0.1:${main.ports.cluster}"]})`,
    });
    const [upstream] = lib.lastCommittedTxn(SHELL, main.bolt, PASSWORD, 'foo');
    await lib.waitFor('the replica to reach the upstream\'s last transaction', () => {
      const [replica] = lib.lastCommittedTxn(SHELL, dr.bolt, PASSWORD, 'foo-replica');
      return replica === upstream;
    }, 60_000);
    const rows = lib.cypher(SHELL, { address: dr.bolt, password: PASSWORD, database: 'foo-replica', query: 'MATCH (n:Item) RETURN count(*)' });
    assert.deepEqual(rows, [['50']]);
  });

  it('ccdr-lag-plot draws the replica\'s lag by server name', async (t) => {
    if (!lib.has('gnuplot')) {
      t.skip('gnuplot is missing (apt-get install gnuplot-nox); the test does not install it');
      return;
    }
    const { dr } = clusters;
    const metrics = path.join(dr.home, 'metrics');
    // The replica's lag files, written every second (server.metrics.csv.interval=1s).
    await lib.waitFor('the replica\'s lag CSV files', () => {
      const files = fs.readdirSync(metrics);
      return ['lag_seconds', 'lag_tx'].every((k) => files.some((f) => f.endsWith(`.database.foo-replica.ccdr.replica.${k}.csv`)
        && fs.readFileSync(path.join(metrics, f), 'utf8').split('\n').length > 2));
    }, 30_000);
    const out = path.join(work, 'lag.png');
    const r = lib.run('ccdr-lag-plot', ['--title', 'foo-replica', '--metrics', path.join(metrics, 'server-1'), 'foo-replica', out], {
      cwd: work, env: OPERATOR_ENV,
    });
    assert.match(r.stdout, /^ccdr-lag-plot: wrote .*lag\.png \(\d+ points\)$/m);
    // A one-server home writes its metric files into HOME/metrics itself.
    assert.match(r.stderr, new RegExp(`server-1's metrics: ${metrics}$`, 'm'));
    const png = fs.readFileSync(out);
    assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
  });

  it('stops both refhosts gracefully by PID', async () => {
    for (const c of Object.values(clusters)) {
      const { code } = await c.proc.stop();
      assert.equal(code, 0, c.proc.output());
    }
  });

  it('apt-get remove keeps the configuration and the operator\'s data', () => {
    // The operator's data: a system database in the packaged HOME.
    runAsCcdr(['/usr/bin/refhost', 'set-initial-password', '--home', HOME, PASSWORD]);
    assert.ok(fs.existsSync(`${HOME}/data/system/system.db`));
    lib.run('apt-get', ['remove', ...APT, ...PACKAGES], { env: { ...process.env, ...APT_ENV } });
    assert.ok(!fs.existsSync('/usr/bin/refhost'));
    assert.ok(!fs.existsSync('/usr/lib/ccdr/plugins/libccdr.so'));
    assert.ok(fs.existsSync(`${ETC}/neo4j.conf`), 'remove keeps the conffile');
    assert.ok(fs.existsSync(`${HOME}/data/system/system.db`), 'remove keeps the data');
    assert.equal(packageStatus('ccdr-refhost'), 'deinstall ok config-files');
  });

  it('apt-get purge leaves nothing of the packages but the operator\'s data', () => {
    const r = lib.run('apt-get', ['purge', ...APT, ...PACKAGES], { env: { ...process.env, ...APT_ENV } });
    for (const p of PACKAGES) {
      const s = packageStatus(p);
      assert.ok(s === 'not-installed' || s.endsWith('not-installed'), `${p}: ${s}`);
    }
    const left = [];
    for (const p of PACKAGES) {
      for (const f of fileLists[p]) {
        if (!fs.existsSync(f)) {
          continue;
        }
        // A directory another package owns too (/usr/bin, /etc) stays.
        const owned = lib.run('dpkg-query', ['-S', f], { allowFailure: true }).status === 0;
        if (!(fs.statSync(f).isDirectory() && owned)) {
          left.push(f);
        }
      }
    }
    assert.deepEqual(left, [], 'files of the packages left after purge');
    assert.ok(!fs.existsSync(ETC), `${ETC} is gone`);
    // What is left of the HOME is the operator's data, and the notice says so.
    assert.deepEqual(fs.readdirSync(HOME), ['data']);
    assert.ok(fs.existsSync(`${HOME}/data/system/system.db`));
    assert.match(`${r.stdout}${r.stderr}`, /kept \/var\/lib\/ccdr/);
  });
});
