const data = require('fs').readFileSync(0, 'utf8').trim().split(/\s+/).map(Number);
const n = data[0];
// TODO: compute the shortest times
console.log(Array(n).fill(0).join('\n'));
