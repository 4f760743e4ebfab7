// The extensionTestsPath module that runIntegration.mjs hands to VS Code: loaded inside the extension host, it runs
// the (bundled) integration test files with mocha (the @vscode/test-electron contract: run() resolves when all
// passed, rejects otherwise). The files, the reporter and the per-test timeout come through the environment.
'use strict';
const mochaModule = require('mocha'); // mocha 12 is ESM: require() returns its namespace
const Mocha = mochaModule.default ?? mochaModule;

exports.run = function run() {
  const files = JSON.parse(process.env.UDPCHAT_E2E_TEST_FILES || '[]');
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: Number(process.env.UDPCHAT_E2E_MOCHA_TIMEOUT_MS) || 20_000,
    reporter: process.env.UDPCHAT_MOCHA_REPORTER || 'spec',
  });
  for (const file of files) mocha.addFile(file);
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} integration tests failed`)) : resolve()));
  });
};
