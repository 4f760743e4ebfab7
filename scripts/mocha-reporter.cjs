// Mocha's spec output plus one machine-readable line per suite run: "<suite>: N passed, M failed, K pending".
// CI counts these lines; scripts/test.mjs also reads the JSON result file named by UDPCHAT_TEST_RESULT.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const suite = process.env.UDPCHAT_TEST_SUITE || 'tests';
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0 } = runner.stats || {};
      console.log(`${suite}: ${passes} passed, ${failures} failed, ${pending} pending`);
      const out = process.env.UDPCHAT_TEST_RESULT;
      if (out) fs.writeFileSync(out, JSON.stringify({ suite, passes, failures, pending }) + '\n');
    });
  }
}
module.exports = SummaryReporter;
