'use strict';
// The programs under test, passed by CTest (test/e2e/e2e.cmake) as
// environment variables. A test run by hand sets them itself.
const fs = require('node:fs');

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run through ctest -L e2e, or set it to the built file`);
  }
  if (!fs.existsSync(value)) {
    throw new Error(`${name}=${value} does not exist (build it first)`);
  }
  return value;
}

module.exports = {
  refhost: () => required('REFHOST_BIN'),
  ccdrShell: () => required('CCDR_SHELL_BIN'),
  plugin: () => required('CCDR_PLUGIN'),
  // A test-only build of the plugin that says another release version
  // (test/CMakeLists.txt: libccdr_v0.3.0.so, libccdr_v1.0.0.so).
  pluginOfVersion: (version) => required(`CCDR_PLUGIN_V${version.replaceAll('.', '_')}`),
};
