// test/support/eventually.js: the one way a JavaScript test waits for a
// condition (a database online, a replica caught up, a metric written): poll
// `check` until it gives a value `done` accepts, and return that value; throw
// when `timeoutMs` passes, naming `what` and the last error `check` threw.
'use strict';

async function eventually(check, { timeoutMs = 30_000, intervalMs = 100, what, done = Boolean } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (done(v)) {
        return v;
      }
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const waited = what ? `timed out after ${timeoutMs} ms waiting for ${what}` : `condition not met within ${timeoutMs} ms`;
      throw new Error(`${waited}${last ? ': ' + last.message : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

module.exports = { eventually };
