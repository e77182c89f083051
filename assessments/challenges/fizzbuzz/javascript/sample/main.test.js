const test = require('node:test');
const assert = require('node:assert');
const { fizzbuzz } = require('./main.js');

test('first five', () => {
  assert.deepStrictEqual(fizzbuzz(5), ['1', '2', 'Fizz', '4', 'Buzz']);
});
