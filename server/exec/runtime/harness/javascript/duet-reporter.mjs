// node:test reporter: one JSON line per finished test, written to --test-reporter-destination.
// Suites are not tests: only leaves are reported; a nested test is named "suite > test".
// The report ends with {"duet_end": {"count", "mac"}}: an HMAC-SHA256, under the key the guard
// handed duet-key.cjs (preloaded with --require, before the tests or the candidate's code), of
// every byte before it (see server/exec/reports/seal.py).
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';

const MAX_MESSAGE = 4000;
const takeKey = createRequire(import.meta.url)('./duet-key.cjs').takeKey;

function isAssertion(error) {
  const cause = error && error.cause !== undefined ? error.cause : error;
  return Boolean(cause) && (cause.code === 'ERR_ASSERTION' || cause.name === 'AssertionError');
}

function describe(error) {
  const cause = error && error.cause !== undefined ? error.cause : error;
  if (!cause) return '';
  const text = String(cause.stack || `${cause.name || 'Error'}: ${cause.message || String(cause)}`);
  // Drop Node's own frames: they say nothing about the candidate's code.
  const lines = text.split('\n').filter((line) => !/\((node:|internal\/)/.test(line));
  return lines.join('\n').slice(0, MAX_MESSAGE);
}

export default async function* duetReporter(source) {
  const mac = createHmac('sha256', Buffer.from(takeKey() || '', 'hex'));
  let count = 0;
  const stack = [];
  for await (const event of source) {
    const data = event.data || {};
    if (event.type === 'test:start') {
      stack[data.nesting] = data.name;
      stack.length = data.nesting + 1;
      continue;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const details = data.details || {};
    if (details.type === 'suite') continue;
    const path = stack.slice(0, data.nesting).concat([data.name]);
    let status = 'passed';
    let message = '';
    if (event.type === 'test:fail') {
      status = isAssertion(details.error) ? 'failed' : 'error';
      message = describe(details.error);
    } else if (data.skip !== undefined || data.todo !== undefined) {
      status = 'failed';
      message = 'skipped';
    }
    const line = JSON.stringify({ name: path.join(' > '), status, message, duration_ms: details.duration_ms }) + '\n';
    mac.update(line);
    count += 1;
    yield line;
  }
  yield JSON.stringify({ duet_end: { count, mac: mac.digest('hex') } }) + '\n';
}
