import sys


def main() -> None:
    data = sys.stdin.read().split()
    n = int(data[0])
    # TODO: compute the shortest times
    print("\n".join("0" for _ in range(n)))


main()
