from main import top_words


def test_example():
    assert top_words("the cat and the hat", 2) == ["the", "and"]


def test_case_and_punctuation():
    assert top_words("Go, go! GO? stop.", 1) == ["go"]


def test_apostrophes():
    assert top_words("don't don't do", 1) == ["don't"]


def test_ties_alphabetical():
    assert top_words("b a c b a c", 3) == ["a", "b", "c"]


def test_fewer_than_k():
    assert top_words("one two", 5) == ["one", "two"]


def test_non_positive_k():
    assert top_words("one two", 0) == [] and top_words("one", -1) == []
