const data = require('fs').readFileSync(0, 'utf8').trim().split(/\s+/).map(Number);
const [n, m, s] = data;
const graph = Array.from({ length: n }, () => []);
for (let i = 0; i < m; i++) graph[data[3 + 3 * i]].push([data[4 + 3 * i], data[5 + 3 * i]]);

// a binary heap of [distance, node]
const heap = [];
const push = (item) => {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (heap[p][0] <= heap[i][0]) break;
    [heap[p], heap[i]] = [heap[i], heap[p]];
    i = p;
  }
};
const pop = () => {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < heap.length && heap[l][0] < heap[min][0]) min = l;
      if (r < heap.length && heap[r][0] < heap[min][0]) min = r;
      if (min === i) break;
      [heap[min], heap[i]] = [heap[i], heap[min]];
      i = min;
    }
  }
  return top;
};

const dist = new Array(n).fill(-1);
push([0, s]);
while (heap.length) {
  const [d, u] = pop();
  if (dist[u] !== -1) continue;
  dist[u] = d;
  for (const [v, w] of graph[u]) if (dist[v] === -1) push([d + w, v]);
}
process.stdout.write(dist.join('\n') + '\n');
