"""Question order is randomised per candidate and stable for one attempt."""

from __future__ import annotations

from server.hiring.challenge_schema import Choice, QAChallengeSpec, Question
from server.hiring.question_order import ordered_questions


def spec(shuffle: bool = True) -> QAChallengeSpec:
    questions = [
        Question(
            id=f"q{i}",
            kind="single",
            prompt=f"question {i}",
            choices=[Choice(id=f"c{j}", text=str(j), value=j) for j in range(4)],
        )
        for i in range(12)
    ]
    return QAChallengeSpec(id="quiz", title="Quiz", type="qa", shuffle=shuffle, questions=questions)


def ids(questions: tuple[Question, ...]) -> list[str]:
    return [q.id for q in questions]


def test_the_same_attempt_always_sees_the_same_order() -> None:
    first = ordered_questions(spec(), "attempt-1")
    assert first == ordered_questions(spec(), "attempt-1")
    assert sorted(ids(first)) == sorted(q.id for q in spec().questions)  # a permutation


def test_attempts_see_different_orders() -> None:
    orders = {tuple(ids(ordered_questions(spec(), f"attempt-{n}"))) for n in range(20)}
    assert len(orders) > 15  # 12! orders: collisions among 20 are next to impossible
    choice_orders = {
        tuple(c.id for c in ordered_questions(spec(), f"attempt-{n}")[0].choices) for n in range(20)
    }
    assert len(choice_orders) > 1


def test_shuffle_off_keeps_the_authors_order() -> None:
    assert ids(ordered_questions(spec(shuffle=False), "attempt-1")) == [f"q{i}" for i in range(12)]


def test_shuffling_leaves_the_spec_alone() -> None:
    original = spec()
    ordered_questions(original, "attempt-1")
    assert ids(tuple(original.questions)) == [f"q{i}" for i in range(12)]
