function isBalanced(text) {
  // True when every bracket in text is closed in the right order.
  return text.split('(').length === text.split(')').length;
}

module.exports = { isBalanced };
