"""An attempt's assessment score from what the candidate handed in: every Q&A challenge is scored
from its answers (none given: no answers, so its deal-breakers count as missed), every code
challenge by its submission's score (none: 0). Pure."""

from __future__ import annotations

from collections.abc import Mapping

from server.hiring.answers import Answer
from server.hiring.assessment_schema import AssessmentSpec
from server.hiring.assessment_scoring import AssessmentScore, ChallengeOutcome, score_assessment
from server.hiring.challenge import Challenge
from server.hiring.challenge_schema import QAChallengeSpec
from server.hiring.code_scoring import CodeScore
from server.hiring.qa_scoring import score_answers


def score_attempt(
    spec: AssessmentSpec,
    challenges: Mapping[str, Challenge],
    answers: Mapping[str, Mapping[str, Answer]],
    code_scores: Mapping[str, CodeScore],
) -> AssessmentScore:
    """``challenges`` by id (the versions the attempt used); ``answers`` by challenge id, then
    question id; ``code_scores`` by challenge id."""
    outcomes: dict[str, ChallengeOutcome] = {}
    for item in spec.challenges:
        challenge = challenges[item.challenge]
        if isinstance(challenge.spec, QAChallengeSpec):
            scored = score_answers(challenge.spec, answers.get(item.challenge, {}))
            outcomes[item.challenge] = ChallengeOutcome(scored.score, scored.deal_breakers_missed)
        else:
            code = code_scores.get(item.challenge)
            outcomes[item.challenge] = ChallengeOutcome(code.score if code is not None else 0.0)
    return score_assessment(spec, outcomes)
