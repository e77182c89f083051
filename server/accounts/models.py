"""Organizations, members, API keys and browser logins. Plain frozen data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class OrgRole(StrEnum):
    """A member's role in their organization."""

    ADMIN = "admin"
    INTERVIEWER = "interviewer"
    REVIEWER = "reviewer"


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    id: str
    org_id: str
    email: str
    display_name: str
    role: OrgRole
    password_hash: str
    created_at: datetime
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A bearer key for the REST API. Only its digest is stored; ``prefix`` helps people tell keys apart."""

    id: str
    user_id: str
    name: str
    prefix: str
    token_hash: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoginSession:
    """A browser login. The cookie holds the token; the database holds its digest."""

    id: str
    user_id: str
    token_hash: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making a request: an active member of an organization."""

    user: User
    login_id: str | None = None  # the browser sign-in behind a page request (None: an API key)

    @property
    def org_id(self) -> str:
        return self.user.org_id

    @property
    def role(self) -> OrgRole:
        return self.user.role
