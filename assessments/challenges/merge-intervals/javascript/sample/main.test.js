const test = require('node:test');
const assert = require('node:assert');
const { merge } = require('./main.js');

test('example', () => {
  assert.deepStrictEqual(merge([[1, 3], [8, 10], [2, 6]]), [[1, 6], [8, 10]]);
});
