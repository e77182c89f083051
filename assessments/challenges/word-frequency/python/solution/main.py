import re
from collections import Counter


def top_words(text: str, k: int) -> list[str]:
    """The k most frequent words of text, most frequent first, ties alphabetically."""
    if k <= 0:
        return []
    counts = Counter(word.lower() for word in re.findall(r"[A-Za-z']+", text))
    return [word for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:k]]
