"""The schema of an assessment file (``assessments/<id>.yaml``): ordered challenges, a total time
limit or one per challenge, a passing score, the languages a candidate may choose from."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, model_validator

from server.hiring.challenge_schema import Language, Slug


class AssessmentItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    challenge: Slug
    #: Its weight when the assessment's scoring is "weighted".
    weight: Annotated[float, Field(gt=0, le=1000)] = 1
    time_limit_minutes: Annotated[int, Field(gt=0, le=600)] | None = None


class AssessmentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    description: Annotated[str, StringConstraints(max_length=4000)] = ""
    #: The whole assessment's limit; without it every challenge needs its own.
    time_limit_minutes: Annotated[int, Field(gt=0, le=600)] | None = None
    #: 0-100; a missed deal-breaker fails the assessment whatever the score.
    passing_score: Annotated[float, Field(ge=0, le=100)]
    #: "mean" of the challenges' scores, or "weighted" by each item's weight.
    scoring: Literal["mean", "weighted"] = "mean"
    languages: Annotated[list[Language], Field(min_length=1)]
    challenges: Annotated[list[AssessmentItem], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _consistent(self) -> AssessmentSpec:
        ids = [item.challenge for item in self.challenges]
        if len(set(ids)) != len(ids):
            raise ValueError("a challenge is listed twice")
        if self.time_limit_minutes is None and any(i.time_limit_minutes is None for i in self.challenges):
            raise ValueError("give the assessment a time_limit_minutes, or every challenge its own")
        return self

    @property
    def total_minutes(self) -> int:
        """The time a candidate has in all."""
        if self.time_limit_minutes is not None:
            return self.time_limit_minutes
        return sum(item.time_limit_minutes or 0 for item in self.challenges)


ASSESSMENT_SCHEMA: TypeAdapter[AssessmentSpec] = TypeAdapter(AssessmentSpec)
