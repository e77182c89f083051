def fizzbuzz(n: int) -> list[str]:
    """The FizzBuzz sequence from 1 to n."""
    return [str(i) for i in range(1, n + 1)]
