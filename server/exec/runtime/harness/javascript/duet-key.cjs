// Preloaded (node --require) before the tests and the candidate's code: reads the key the report
// guard put on fd 3 and closes it. The reporter takes it once (duet-reporter.mjs).
'use strict';
const fs = require('node:fs');

let key = '';
try {
  key = fs.readFileSync(3, 'utf8').trim();
  fs.closeSync(3);
} catch {
  key = '';
}

module.exports = {
  takeKey() {
    const taken = key;
    key = '';
    return taken;
  },
};
