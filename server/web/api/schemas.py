"""Request and response bodies of the REST API (they make up the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from server.sessions.languages import LANGUAGES
from server.sessions.lifecycle import SessionState
from server.sessions.roles import LINK_ROLES

Language = StrEnum("Language", {lang.upper(): lang for lang in LANGUAGES})  # type: ignore[misc]
LinkRole = StrEnum("LinkRole", {role.name: role.value for role in LINK_ROLES})  # type: ignore[misc]


def numbers_only(value: Any) -> Any:
    """JSON integers (``12`` or ``12.0``) only: no booleans, no numeric strings."""
    if isinstance(value, bool | str | bytes):
        raise ValueError("must be a number")
    return value


LinkTtlHours = Annotated[int, Field(ge=1, le=24 * 365), BeforeValidator(numbers_only)]


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(
        min_length=1, max_length=200, pattern=r"\S", examples=["Backend pairing: rate limiter"]
    )
    language: Language = Field(examples=["python"])
    link_ttl_hours: LinkTtlHours | None = Field(
        default=None,
        description="How long the join links stay valid (default: server setting).",
    )


class JoinUrls(BaseModel):
    interviewer: str
    candidate: str
    observer: str


class LinkOut(BaseModel):
    role: LinkRole
    url: str
    expires_at: datetime


class SessionOut(BaseModel):
    id: str
    title: str
    language: str
    state: SessionState
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    join: JoinUrls | None = Field(
        description="Join link per role; null for members whose role may not share links (reviewers)."
    )
    links: list[LinkOut] = Field(default_factory=list)


class SessionPage(BaseModel):
    items: list[SessionOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class ParticipantOut(BaseModel):
    id: str
    role: str
    display_name: str
    joined_at: datetime


class Health(BaseModel):
    status: str = Field(description="ok, or unavailable when any service below is not running")
    database: str
    services: dict[str, str] = Field(
        description="Each service this node depends on: ok, or why not (events, rooms, control, engine, "
        "and redis in a cluster)."
    )
