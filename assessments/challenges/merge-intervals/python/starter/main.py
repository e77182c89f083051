def merge(intervals: list[list[int]]) -> list[list[int]]:
    """The union of closed intervals, as few as possible, sorted by start."""
    return sorted(intervals)
