// node:test reporter: one JSON line per finished test, written to --test-reporter-destination.
// Suites are not tests: only leaves are reported; a nested test is named "suite > test".
const MAX_MESSAGE = 4000;

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
    yield JSON.stringify({ name: path.join(' > '), status, message, duration_ms: details.duration_ms }) + '\n';
  }
}
