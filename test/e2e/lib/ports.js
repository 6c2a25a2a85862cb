'use strict';
// Free TCP ports on 127.0.0.1, chosen below the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range): a port handed out by bind(0)
// is an ephemeral one, and any process's outgoing connection (a driver, a
// shell, another test) may take it between our check and the refhost's
// bind, or while a killed cluster is being restarted on the same ports
// ("Address already in use"). Below that range only listeners compete:
// each candidate is bound (all n at once, so they differ), then released.
const fs = require('node:fs');
const net = require('node:net');

function ephemeralLow() {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12000 ? low : 32768;
  } catch {
    return 32768;
  }
}

function tryListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function freePorts(n) {
  const low = ephemeralLow();
  const servers = [];
  try {
    for (let attempts = 0; servers.length < n; attempts++) {
      if (attempts > 1000) {
        throw new Error(`no ${n} free ports found below ${low}`);
      }
      const port = 10000 + Math.floor(Math.random() * (low - 10000));
      const server = await tryListen(port);
      if (server) {
        servers.push(server);
      }
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

module.exports = { freePorts };
