const test = require('node:test');
const assert = require('node:assert');
const { fizzbuzz } = require('./main.js');

test('first five', () => {
  assert.deepStrictEqual(fizzbuzz(5), ['1', '2', 'Fizz', '4', 'Buzz']);
});

test('fifteen is FizzBuzz', () => {
  assert.strictEqual(fizzbuzz(15)[14], 'FizzBuzz');
});

test('length', () => {
  assert.strictEqual(fizzbuzz(100).length, 100);
});

test('multiples', () => {
  const out = fizzbuzz(30);
  assert.deepStrictEqual([out[8], out[9], out[29]], ['Fizz', 'Buzz', 'FizzBuzz']);
});

test('zero and negative', () => {
  assert.deepStrictEqual(fizzbuzz(0), []);
  assert.deepStrictEqual(fizzbuzz(-3), []);
});
