const PAIRS = { ')': '(', ']': '[', '}': '{' };

function isBalanced(text) {
  const stack = [];
  for (const char of text) {
    if ('([{'.includes(char)) stack.push(char);
    else if (char in PAIRS && stack.pop() !== PAIRS[char]) return false;
  }
  return stack.length === 0;
}

module.exports = { isBalanced };
