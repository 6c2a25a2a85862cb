'use strict';
// Homes and processes for end-to-end tests: a refhost HOME with N logical
// servers on free 127.0.0.1 ports, the refhost process started from it and
// stopped by its PID (SIGTERM, then SIGKILL), whatever happens to the test.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const paths = require('./paths');
const { freePorts } = require('./ports');

const READY = /^refhost: cluster ready: (\d+) servers?$/m;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

// Every refhost this process started and has not seen exit: killed by PID
// if the test process ends first.
const running = new Set();
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

// A HOME with `servers` logical servers. Options:
//   settings   extra neo4j.conf lines as {key: value}
//   password   the password of user neo4j (default 'secret')
//   users      [{name, role: 'admin'|'reader', password}]
//   modes      per-server mode constraints, e.g. ['PRIMARY', 'PRIMARY', 'SECONDARY']
//   plugin     true to copy libccdr.so (CCDR_PLUGIN) into HOME/plugins, or the
//              path of another build of it (paths.pluginOfVersion) to copy instead
async function makeHome(options = {}) {
  const servers = options.servers ?? 3;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ccdr-e2e-'));
  fs.mkdirSync(path.join(home, 'conf'));
  fs.mkdirSync(path.join(home, 'plugins'));
  const ports = await freePorts(2 * servers);
  const lines = ['# written by test/e2e/lib/refhost.js'];
  const boltAddresses = [];
  const clusterAddresses = [];
  for (let i = 0; i < servers; i++) {
    const n = i + 1;
    const bolt = `127.0.0.1:${ports[2 * i]}`;
    boltAddresses.push(bolt);
    lines.push(`refhost.server.${n}.bolt.listen_address=${bolt}`);
    clusterAddresses.push(`127.0.0.1:${ports[2 * i + 1]}`);
    lines.push(`refhost.server.${n}.cluster.listen_address=${clusterAddresses[i]}`);
    if (options.modes && options.modes[i]) {
      lines.push(`refhost.server.${n}.mode_constraint=${options.modes[i]}`);
    }
  }
  for (const [key, value] of Object.entries(options.settings ?? {})) {
    lines.push(`${key}=${value}`);
  }
  fs.writeFileSync(path.join(home, 'conf', 'neo4j.conf'), lines.join('\n') + '\n');
  if (options.plugin) {
    const file = typeof options.plugin === 'string' ? options.plugin : paths.plugin();
    fs.copyFileSync(file, path.join(home, 'plugins', path.basename(file)));
  }
  const password = options.password ?? 'secret';
  execFileSync(paths.refhost(), ['set-initial-password', '--home', home, password], { stdio: 'pipe' });
  for (const u of options.users ?? []) {
    execFileSync(paths.refhost(), ['add-user', '--home', home, '--role', u.role, u.name, u.password], {
      stdio: 'pipe',
    });
  }
  return { home, boltAddresses, clusterAddresses, password, servers };
}

// Starts `refhost --home HOME` and resolves once it prints its ready line.
// The result's stop() ends it by PID.
function startRefhost(home, { env = {} } = {}) {
  const child = spawn(paths.refhost(), ['--home', home.home ?? home], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child.pid);
  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child.pid);
      resolve({ code, signal });
    });
  });
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });

  const handle = {
    pid: child.pid,
    output: () => ({ stdout, stderr }),
    exited,
    async stop() {
      if (!running.has(child.pid)) {
        return exited;
      }
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (running.has(child.pid)) {
          process.kill(child.pid, 'SIGKILL');
        }
      }, STOP_TIMEOUT_MS);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(async () => {
      await handle.stop();
      reject(new Error(`refhost did not report ready within ${START_TIMEOUT_MS} ms\n${stdout}\n${stderr}`));
    }, START_TIMEOUT_MS);
    const check = () => {
      if (READY.test(stdout)) {
        clearTimeout(timer);
        resolve(handle);
      }
    };
    child.stdout.on('data', check);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`refhost exited before it was ready (code ${code}, signal ${signal})\n${stderr}`));
    });
  });
}

// A started cluster for one test file: make the HOME, start, and give the
// addresses; `stop()` ends the process and removes the HOME.
async function startCluster(options = {}) {
  const home = await makeHome(options);
  const proc = await startRefhost(home, options);
  return {
    ...home,
    proc,
    bolt: (i = 0) => `bolt://${home.boltAddresses[i]}`,
    neo4j: (i = 0) => `neo4j://${home.boltAddresses[i]}`,
    async stop() {
      await proc.stop();
      fs.rmSync(home.home, { recursive: true, force: true });
    },
  };
}

module.exports = { makeHome, startRefhost, startCluster };
