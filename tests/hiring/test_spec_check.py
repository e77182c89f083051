"""challenge.yaml and assessment files are checked against their schema; every error names its
file and line."""

from __future__ import annotations

import pytest

from server.hiring.assessment import load_assessment
from server.hiring.challenge_schema import CHALLENGE_SCHEMA, CodeChallengeSpec, QAChallengeSpec
from server.hiring.problems import ContentInvalid
from server.hiring.spec_check import check_yaml

CODE = """\
id: two-sum
title: Two sum
type: code
difficulty: easy
languages: [python]
scoring:
  type: tests
"""


def problems_of(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ContentInvalid) as caught:
        check_yaml(CHALLENGE_SCHEMA, text, "challenge.yaml")
    assert all(problem.file == "challenge.yaml" for problem in caught.value.problems)
    return [(problem.line, problem.message) for problem in caught.value.problems]


def test_a_valid_code_challenge_loads() -> None:
    spec = check_yaml(CHALLENGE_SCHEMA, CODE, "challenge.yaml")
    assert isinstance(spec, CodeChallengeSpec)
    assert spec.scoring.type == "tests" and spec.files == [] and spec.ignore_at_submission == []


def test_an_error_is_reported_at_its_line() -> None:
    text = CODE.replace("difficulty: easy", "difficulty: trivial")
    [(line, message)] = problems_of(text)
    assert line == 4 and "difficulty" in message


def test_an_error_in_a_nested_list_is_at_the_item() -> None:
    text = CODE + "files:\n  - path: a.py\n    access: read-only\n  - path: b.py\n    access: secret\n"
    [(line, message)] = problems_of(text)
    assert line == 12 and "files.1.access" in message


def test_unknown_keys_are_refused_at_their_line() -> None:
    [(line, message)] = problems_of(CODE + "colour: blue\n")
    assert line == 8 and "colour" in message


def test_a_missing_key_is_reported_at_the_mapping() -> None:
    [(line, message)] = problems_of(CODE.replace("title: Two sum\n", ""))
    assert line == 1 and "title" in message


def test_every_error_is_reported_at_once() -> None:
    text = CODE.replace("difficulty: easy", "difficulty: 3").replace("[python]", "[python, cobol]")
    assert {line for line, _ in problems_of(text)} == {4, 5}


def test_yaml_syntax_errors_have_a_line() -> None:
    [(line, message)] = problems_of("id: x\ntitle: [unclosed\ntype: code\n")
    assert line is not None and line >= 2 and "not valid YAML" in message


def test_yaml_tags_that_build_objects_are_refused() -> None:
    [(_, message)] = problems_of("!!python/object/apply:os.system ['true']\n")
    assert "not valid YAML" in message


def test_question_rules() -> None:
    text = """\
id: quiz
title: Quiz
type: qa
questions:
  - id: q1
    kind: single
    prompt: Pick one
    choices:
      - {id: a, text: A, value: 0}
      - {id: b, text: B, value: -1}
  - id: q2
    kind: text
    prompt: Say something
    matchers:
      - {type: regex, pattern: "(unclosed", value: 1}
"""
    found = problems_of(text)
    assert [line for line, _ in found] == [5, 15]
    assert "positive value" in found[0][1] and "does not compile" in found[1][1]


def test_a_qa_challenge_loads_with_defaults() -> None:
    text = (
        "id: q\ntitle: Q\ntype: qa\nquestions:\n"
        "  - {id: a, kind: text, prompt: P, matchers: [{type: equals, pattern: x}]}\n"
    )
    spec = check_yaml(CHALLENGE_SCHEMA, text, "challenge.yaml")
    assert isinstance(spec, QAChallengeSpec) and spec.shuffle
    question = spec.questions[0]
    assert question.points == 1 and question.partial_credit and not question.deal_breaker


def test_assessment_needs_a_time_limit_somewhere() -> None:
    text = "id: a\ntitle: A\npassing_score: 50\nlanguages: [python]\nchallenges:\n  - challenge: x\n"
    with pytest.raises(ContentInvalid, match="time_limit_minutes"):
        load_assessment(text, "a.yaml")
    per_challenge = text + "    time_limit_minutes: 20\n  - {challenge: y, time_limit_minutes: 10}\n"
    assert load_assessment(per_challenge, "a.yaml").total_minutes == 30
    assert load_assessment("time_limit_minutes: 25\n" + text, "a.yaml").total_minutes == 25
