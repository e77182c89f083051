"""An assessment file loaded and checked against the challenges it names."""

from __future__ import annotations

from collections.abc import Mapping

from server.hiring.assessment_schema import ASSESSMENT_SCHEMA, AssessmentSpec
from server.hiring.challenge import Challenge
from server.hiring.challenge_schema import CodeChallengeSpec
from server.hiring.problems import ContentInvalid, ContentProblem
from server.hiring.spec_check import check_yaml
from server.hiring.yaml_marks import load_marked


def load_assessment(text: str, file: str) -> AssessmentSpec:
    return check_yaml(ASSESSMENT_SCHEMA, text, file)


def check_assessment(
    spec: AssessmentSpec, text: str, file: str, challenges: Mapping[str, Challenge]
) -> list[ContentProblem]:
    """Every challenge exists, and every code challenge offers one of the allowed languages (a
    candidate picks, per challenge, among the languages both allow)."""
    document = load_marked(text, file)
    problems = []
    for index, item in enumerate(spec.challenges):
        line = document.line_of(("challenges", index, "challenge"))
        challenge = challenges.get(item.challenge)
        if challenge is None:
            problems.append(ContentProblem(file, line, f"no challenge {item.challenge!r} in the library"))
            continue
        if isinstance(challenge.spec, CodeChallengeSpec) and not set(challenge.spec.languages) & set(
            spec.languages
        ):
            problems.append(
                ContentProblem(file, line, f"{item.challenge!r} is in none of the languages {spec.languages}")
            )
    return problems


def load_checked_assessment(text: str, file: str, challenges: Mapping[str, Challenge]) -> AssessmentSpec:
    spec = load_assessment(text, file)
    problems = check_assessment(spec, text, file, challenges)
    if problems:
        raise ContentInvalid(problems)
    return spec
