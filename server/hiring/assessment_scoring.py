"""An assessment's score from its challenges' scores: the mean, or the mean weighted by each
item's weight. It passes at or above its passing score, unless a deal-breaker was missed: that
fails the whole assessment whatever the score. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from server.hiring.assessment_schema import AssessmentSpec


@dataclass(frozen=True, slots=True)
class ChallengeOutcome:
    """What one challenge scored (0-100) and the deal-breaker questions it missed."""

    score: float
    deal_breakers_missed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AssessmentScore:
    score: float
    passed: bool
    #: "challenge-id/question-id" of every deal-breaker missed.
    deal_breakers_missed: tuple[str, ...]
    challenges: Mapping[str, float]


def score_assessment(spec: AssessmentSpec, outcomes: Mapping[str, ChallengeOutcome]) -> AssessmentScore:
    """A challenge with no outcome (never submitted) scores 0."""
    scores = {
        item.challenge: outcomes.get(item.challenge, ChallengeOutcome(0.0)).score for item in spec.challenges
    }
    if spec.scoring == "weighted":
        total_weight = sum(item.weight for item in spec.challenges)
        score = sum(scores[item.challenge] * item.weight for item in spec.challenges) / total_weight
    else:
        score = sum(scores.values()) / len(scores)
    missed = tuple(
        f"{item.challenge}/{question}"
        for item in spec.challenges
        if item.challenge in outcomes
        for question in outcomes[item.challenge].deal_breakers_missed
    )
    # a deal-breaker question never answered is missed too: the caller scores every Q&A
    # challenge of the assessment, answered or not (see docs/assessments.md)
    return AssessmentScore(score, score >= spec.passing_score and not missed, missed, scores)
