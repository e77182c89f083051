import heapq
import sys


def main() -> None:
    data = sys.stdin.buffer.read().split()
    n, m, s = int(data[0]), int(data[1]), int(data[2])
    graph: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for i in range(m):
        u, v, w = int(data[3 + 3 * i]), int(data[4 + 3 * i]), int(data[5 + 3 * i])
        graph[u].append((v, w))
    dist = [-1] * n
    queue = [(0, s)]
    while queue:
        d, u = heapq.heappop(queue)
        if dist[u] != -1:
            continue
        dist[u] = d
        for v, w in graph[u]:
            if dist[v] == -1:
                heapq.heappush(queue, (d + w, v))
    sys.stdout.write("\n".join(map(str, dist)) + "\n")


main()
