const test = require('node:test');
const assert = require('node:assert');
const { LRUCache } = require('./main.js');

test('get after put', () => {
  const cache = new LRUCache(2);
  cache.put('a', 1);
  assert.strictEqual(cache.get('a'), 1);
  assert.strictEqual(cache.get('b'), undefined);
});

test('evicts least recent', () => {
  const cache = new LRUCache(2);
  cache.put('a', 1);
  cache.put('b', 2);
  cache.put('c', 3);
  assert.deepStrictEqual([cache.get('a'), cache.get('b'), cache.get('c')], [undefined, 2, 3]);
});

test('get counts as use', () => {
  const cache = new LRUCache(2);
  cache.put('a', 1);
  cache.put('b', 2);
  cache.get('a');
  cache.put('c', 3);
  assert.deepStrictEqual([cache.get('a'), cache.get('b')], [1, undefined]);
});

test('replace keeps size', () => {
  const cache = new LRUCache(2);
  cache.put('a', 1);
  cache.put('a', 2);
  cache.put('b', 3);
  assert.deepStrictEqual([cache.get('a'), cache.get('b')], [2, 3]);
});

test('capacity one', () => {
  const cache = new LRUCache(1);
  cache.put(1, 1);
  cache.put(2, 2);
  assert.deepStrictEqual([cache.get(1), cache.get(2)], [undefined, 2]);
});

test('constant time', () => {
  // CPU time, not wall time: a loaded machine does not fail a right answer
  const cache = new LRUCache(100000);
  const started = process.cpuUsage();
  for (let i = 0; i < 200000; i++) {
    cache.put(i, i);
    cache.get(Math.floor(i / 2));
  }
  const used = process.cpuUsage(started);
  assert.ok(used.user + used.system < 3000000, `took ${used.user + used.system} µs of CPU`);
  assert.deepStrictEqual([cache.get(199999), cache.get(0)], [199999, undefined]);
});
