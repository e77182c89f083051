"""Q&A scoring: values per choice (negative allowed, floored at 0), partial credit on or off,
matchers on free text, code answers, deal-breakers."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.hiring.answers import MAX_ANSWER_CHARS, Answer
from server.hiring.challenge_schema import Choice, Matcher, QAChallengeSpec, Question
from server.hiring.qa_scoring import matcher_holds, score_answers, score_question


def choice_question(kind: str = "multiple", values: tuple[float, ...] = (1, 1, -1), **more: Any) -> Question:
    choices = [Choice(id=f"c{i}", text=f"choice {i}", value=v) for i, v in enumerate(values)]
    return Question(id="q", kind=kind, prompt="?", choices=choices, **more)


def text_question(*matchers: Matcher, **more: Any) -> Question:
    return Question(id="t", kind="text", prompt="?", matchers=list(matchers), **more)


def picked(*ids: str) -> Answer:
    return Answer("q", choices=ids)


def test_single_choice_takes_the_chosen_value() -> None:
    question = choice_question("single", (0, 2, 1), points=4)
    assert score_question(question, picked("c1")).earned == 4
    assert score_question(question, picked("c2")).earned == 2  # partial credit: 1 of 2
    assert score_question(question, picked("c0")).earned == 0
    assert score_question(question, picked("c1", "c2")).earned == 0  # not a single choice
    assert score_question(question, picked()).earned == 0


def test_multiple_choice_sums_values_and_floors_at_zero() -> None:
    question = choice_question()
    assert score_question(question, picked("c0", "c1")).earned == 1
    assert score_question(question, picked("c0")).earned == 0.5
    assert score_question(question, picked("c0", "c2")).earned == 0  # 1 - 1
    assert score_question(question, picked("c2")).earned == 0  # -1 floored at 0
    assert score_question(question, picked("c0", "c1", "c2")).earned == 0.5


def test_unknown_choice_ids_score_nothing() -> None:
    assert score_question(choice_question(), picked("c0", "c1", "forged")).earned == 0


def test_partial_credit_off_is_all_or_nothing() -> None:
    question = choice_question(partial_credit=False)
    assert score_question(question, picked("c0", "c1")).earned == 1
    assert score_question(question, picked("c0")).earned == 0


def test_matchers() -> None:
    includes = Matcher(type="includes", pattern="Order")
    assert matcher_holds(includes, "the ORDER of events")
    assert not matcher_holds(includes.model_copy(update={"case_sensitive": True}), "the ORDER")
    excludes = Matcher(type="excludes", pattern="deadlock")
    assert matcher_holds(excludes, "a race") and not matcher_holds(excludes, "a Deadlock")
    equals = Matcher(type="equals", pattern="429")
    assert matcher_holds(equals, "  429\n") and not matcher_holds(equals, "4290")
    regex = Matcher(type="regex", pattern=r"^\d+ weeks?$", flags="im")
    assert matcher_holds(regex, "notice:\n4 Weeks") and not matcher_holds(regex, "four weeks")
    assert not matcher_holds(Matcher(type="regex", pattern=r"^\d+ weeks?$"), "notice:\n4 weeks")


def test_text_answers_sum_matcher_values() -> None:
    question = text_question(
        Matcher(type="includes", pattern="order", value=1),
        Matcher(type="includes", pattern="thread", value=1),
        Matcher(type="includes", pattern="deadlock", value=-2),
    )
    assert score_question(question, Answer("t", text="threads racing, order varies")).earned == 1
    assert score_question(question, Answer("t", text="order")).earned == 0.5
    assert score_question(question, Answer("t", text="order thread deadlock")).earned == 0


def test_an_empty_text_earns_nothing_even_from_excludes() -> None:
    question = text_question(Matcher(type="excludes", pattern="wrong"))
    assert score_question(question, Answer("t", text="  ")).earned == 0
    assert score_question(question, None).earned == 0
    assert score_question(question, Answer("t", text="right")).earned == 1


def test_answers_are_cut_before_matching() -> None:
    question = text_question(Matcher(type="includes", pattern="needle"))
    far = "x" * MAX_ANSWER_CHARS + "needle"
    assert score_question(question, Answer("t", text=far)).earned == 0


def test_code_answer_without_matchers_is_left_to_a_reviewer() -> None:
    question = Question(id="c", kind="code", prompt="write it", language="python")
    score = score_question(question, Answer("c", text="def f(): pass"))
    assert (score.earned, score.possible, score.needs_review) == (0, 0, True)


def test_deal_breaker_is_missed_below_full_marks() -> None:
    question = choice_question("single", (1, 0), deal_breaker=True)
    assert not score_question(question, picked("c0")).deal_breaker_missed
    assert score_question(question, picked("c1")).deal_breaker_missed
    assert score_question(question, None).deal_breaker_missed


def test_a_questionnaire_score() -> None:
    spec = QAChallengeSpec(
        id="quiz",
        title="Quiz",
        type="qa",
        questions=[
            choice_question("single", (1, 0), deal_breaker=True).model_copy(update={"id": "auth"}),
            choice_question(points=3),
            text_question(Matcher(type="equals", pattern="429"), points=2),
        ],
    )
    answers = {"auth": Answer("auth", ("c1",)), "q": picked("c0", "c1"), "t": Answer("t", text="429")}
    result = score_answers(spec, answers)
    assert (result.earned, result.possible) == (5, 6)
    assert result.score == pytest.approx(100 * 5 / 6)
    assert result.deal_breakers_missed == ("auth",)


values = st.lists(st.integers(min_value=-5, max_value=5), min_size=2, max_size=6).filter(lambda v: max(v) > 0)


@given(values, st.data(), st.booleans(), st.integers(min_value=1, max_value=10))
def test_a_question_scores_between_zero_and_its_points(
    choice_values: list[int], data: st.DataObject, partial: bool, points: int
) -> None:
    question = choice_question("multiple", tuple(choice_values), partial_credit=partial, points=points)
    ids = data.draw(st.sets(st.sampled_from([f"c{i}" for i in range(len(choice_values))])))
    score = score_question(question, picked(*ids))
    assert 0 <= score.earned <= points
    if not partial:
        assert score.earned in {0, points}
    best = {f"c{i}" for i, v in enumerate(choice_values) if v > 0}
    assert score_question(question, picked(*best)).earned == points


@given(values, st.data())
def test_adding_a_negative_choice_never_raises_a_score(choice_values: list[int], data: st.DataObject) -> None:
    question = choice_question("multiple", (*choice_values, -1))
    ids = data.draw(st.sets(st.sampled_from([f"c{i}" for i in range(len(choice_values))])))
    penalty = f"c{len(choice_values)}"
    assert (
        score_question(question, picked(*ids, penalty)).earned
        <= score_question(question, picked(*ids)).earned
    )


def test_a_regex_that_backtracks_for_ever_on_a_crafted_answer_does_not_match() -> None:
    """An author's pattern that backtracks catastrophically: the candidate's answer built to
    trigger it is given up after REGEX_SECONDS (not a match), instead of holding the node."""
    matcher = Matcher(type="regex", pattern=r"^(a|aa)+$")
    began = time.monotonic()
    assert not matcher_holds(matcher, "a" * 60 + "b")
    assert time.monotonic() - began < 30  # Python's re would take years; the deadline is generous
    assert matcher_holds(matcher, "aaaa")
