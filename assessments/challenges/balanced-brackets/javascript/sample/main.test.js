const test = require('node:test');
const assert = require('node:assert');
const { isBalanced } = require('./main.js');

test('nested', () => assert.strictEqual(isBalanced('(a[b]{c})'), true));
test('crossed', () => assert.strictEqual(isBalanced('([)]'), false));
