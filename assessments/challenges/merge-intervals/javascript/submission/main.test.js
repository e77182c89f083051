const test = require('node:test');
const assert = require('node:assert');
const { merge } = require('./main.js');

test('example', () => assert.deepStrictEqual(merge([[1, 3], [8, 10], [2, 6]]), [[1, 6], [8, 10]]));
test('empty', () => assert.deepStrictEqual(merge([]), []));
test('touching', () => assert.deepStrictEqual(merge([[1, 2], [2, 3]]), [[1, 3]]));
test('nested', () => assert.deepStrictEqual(merge([[1, 10], [2, 3], [4, 5]]), [[1, 10]]));
test('input untouched', () => {
  const data = [[5, 6], [1, 2]];
  merge(data);
  assert.deepStrictEqual(data, [[5, 6], [1, 2]]);
});
test('large input', () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const data = Array.from({ length: 100000 }, () => {
    const s = next() % 1000000;
    return [s, s + (next() % 4)];
  });
  const out = merge(data);
  for (let i = 1; i < out.length; i++) assert.ok(out[i - 1][1] < out[i][0]);
  const covered = new Set();
  for (const [s, e] of data) for (let p = s; p <= e; p++) covered.add(p);
  assert.strictEqual(out.reduce((n, [s, e]) => n + e - s + 1, 0), covered.size);
});
