function fizzbuzz(n) {
  const out = [];
  for (let i = 1; i <= n; i++) {
    const word = (i % 3 === 0 ? 'Fizz' : '') + (i % 5 === 0 ? 'Buzz' : '');
    out.push(word || String(i));
  }
  return out;
}

module.exports = { fizzbuzz };
