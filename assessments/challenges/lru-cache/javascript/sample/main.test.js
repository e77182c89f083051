const test = require('node:test');
const assert = require('node:assert');
const { LRUCache } = require('./main.js');

test('get after put', () => {
  const cache = new LRUCache(2);
  cache.put('a', 1);
  assert.strictEqual(cache.get('a'), 1);
});
