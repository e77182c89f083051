def is_balanced(text: str) -> bool:
    """True when every bracket in text is closed in the right order."""
    return text.count("(") == text.count(")")
