const test = require('node:test');
const assert = require('node:assert');
const { isBalanced } = require('./main.js');

test('empty', () => assert.strictEqual(isBalanced(''), true));
test('nested', () => assert.strictEqual(isBalanced('(a[b]{c})'), true));
test('crossed', () => assert.strictEqual(isBalanced('([)]'), false));
test('unclosed', () => assert.strictEqual(isBalanced('(('), false));
test('close first', () => assert.strictEqual(isBalanced(')('), false));
test('long', () => assert.strictEqual(isBalanced('{[()]}'.repeat(10000)), true));
