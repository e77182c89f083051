function fizzbuzz(n) {
  // The FizzBuzz sequence from 1 to n.
  return [];
}

module.exports = { fizzbuzz };
