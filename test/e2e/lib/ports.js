'use strict';
// Free TCP ports on 127.0.0.1: bind port 0 n times (all open at once, so the
// ports differ), note the ports, close. The usual window between closing and
// the refhost binding remains; the ports are fresh ephemeral ones, so a clash
// needs another process to pick the same one in that window.
const net = require('node:net');

async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = net.createServer();
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      servers.push(server);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

module.exports = { freePorts };
