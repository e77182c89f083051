"""A two-challenge assessment (a code challenge, a questionnaire) imported into an app's
organization, and the secrets a candidate must never receive."""

from __future__ import annotations

from server.hiring.assessment import load_assessment
from server.hiring.loader import load_challenge
from server.web.services import Services
from tests.support.challenge_folders import ADD_FILES, as_bytes

QUIZ_YAML = """\
id: quiz
title: Quick quiz
type: qa
questions:
  - id: authorised
    kind: single
    prompt: Are you authorised to work here?
    deal_breaker: true
    choices:
      - {id: "yes", text: "Yes", value: 1}
      - {id: "no", text: "No", value: 0}
  - id: idempotent
    kind: multiple
    prompt: Which HTTP methods are idempotent?
    choices:
      - {id: get, text: GET, value: 1}
      - {id: put, text: PUT, value: 1}
      - {id: post, text: POST, value: -1}
  - id: notice
    kind: text
    prompt: What is your notice period?
    matchers:
      - {type: regex, pattern: 'QUIZ-MATCHER-SECRET|[0-9]+ weeks', value: 1}
"""

QUIZ_FILES = {"challenge.yaml": QUIZ_YAML, "instructions.md": "Answer the questions.\n"}

ASSESSMENT_YAML = """\
id: duo
title: Duo pre-screen
description: One function and three questions.
time_limit_minutes: 30
passing_score: 50
languages: [python]
challenges:
  - challenge: add
  - challenge: quiz
"""

#: What the reference solution reports for `add` (the weights: test_negative 3, others 1).
ADD_TESTS = ("test_small", "test_negative", "test_hidden_file")

#: Strings only the server may hold: hidden test names and bodies, the hidden file, the
#: reference solution, matchers and values.
SECRETS = (
    "test_negative",
    "test_hidden_file",
    "secret_numbers",
    "40 2",
    "return check(a + b)",
    "QUIZ-MATCHER-SECRET",
    "deal_breaker",
)

#: The right answer for `add`, and the quiz answered fully right.
ADD_SOLUTION = "from helpers import check\n\n\ndef add(a, b):\n    return a + b\n"
QUIZ_RIGHT: dict[str, dict[str, object]] = {
    "authorised": {"choices": ["yes"]},
    "idempotent": {"choices": ["get", "put"]},
    "notice": {"text": "4 weeks"},
}


async def import_duo(services: Services, org_id: str) -> None:
    for files, tests in ((ADD_FILES, {"python": list(ADD_TESTS)}), (QUIZ_FILES, {})):
        raw = as_bytes(files)
        await services.content.import_challenge(org_id, load_challenge(raw), raw, tests)
    await services.content.import_assessment(
        org_id, load_assessment(ASSESSMENT_YAML, "duo.yaml"), ASSESSMENT_YAML
    )
