'use strict';
// A TCP forwarder on 127.0.0.1 standing in for the WAN between two clusters:
// it counts the bytes that cross it in each direction, and it can cut the
// link (every open connection is destroyed and new ones are closed at once)
// and heal it again.
const net = require('node:net');

class LinkProxy {
  constructor(target) {
    const [host, port] = target.split(':');
    this.target = { host, port: Number(port) };
    this.bytesToTarget = 0;
    this.bytesFromTarget = 0;
    this.isCut = false;
    this.sockets = new Set();
  }

  async start() {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.address = `127.0.0.1:${this.server.address().port}`;
    return this;
  }

  accept(client) {
    if (this.isCut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    client.on('data', (d) => {
      this.bytesToTarget += d.length;
    });
    upstream.on('data', (d) => {
      this.bytesFromTarget += d.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  }

  cut() {
    this.isCut = true;
    for (const s of this.sockets) {
      s.destroy();
    }
    this.sockets.clear();
  }

  heal() {
    this.isCut = false;
  }

  resetCounts() {
    this.bytesToTarget = 0;
    this.bytesFromTarget = 0;
  }

  async close() {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

// One proxy per address; returns them started.
async function proxies(addresses) {
  return Promise.all(addresses.map((a) => new LinkProxy(a).start()));
}

module.exports = { LinkProxy, proxies };
