def top_words(text: str, k: int) -> list[str]:
    """The k most frequent words of text, most frequent first, ties alphabetically."""
    return text.split()[:k]
