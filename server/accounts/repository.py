"""What the account service needs from storage. ``server.store`` implements it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from server.accounts.models import ApiKey, LoginSession, Organization, OrgRole, User


class AccountRepository(Protocol):
    async def add_organization(self, org: Organization) -> None: ...

    async def get_organization(self, org_id: str) -> Organization | None: ...

    async def first_organization(self) -> Organization | None: ...

    async def add_user(self, user: User) -> None:
        """Raises Conflict if the email is taken."""
        ...

    async def get_user(self, user_id: str) -> User | None: ...

    async def user_by_email(self, email: str) -> User | None: ...

    async def users(self, org_id: str) -> Sequence[User]: ...

    async def update_user(
        self,
        user_id: str,
        *,
        role: OrgRole | None = None,
        password_hash: str | None = None,
        disabled_at: datetime | None = None,
        enable: bool = False,
    ) -> User | None: ...

    async def add_api_key(self, key: ApiKey) -> None: ...

    async def api_key_by_token_hash(self, token_hash: str) -> tuple[ApiKey, User] | None:
        """The key with that digest and the member it belongs to (one lookup per API request)."""
        ...

    async def api_keys(self, user_id: str) -> Sequence[ApiKey]: ...

    async def revoke_api_key(self, key_id: str, user_id: str, at: datetime) -> bool: ...

    async def touch_api_key(self, key_id: str, at: datetime) -> None: ...

    async def add_login(self, login: LoginSession) -> None: ...

    async def login_by_token_hash(self, token_hash: str) -> LoginSession | None: ...

    async def login_with_user(self, login_id: str) -> tuple[LoginSession, User] | None:
        """The sign-in and its member, as of a read that started after the call (every member's
        pad socket is checked through it)."""
        ...

    async def delete_login(self, token_hash: str) -> None: ...

    async def delete_logins_of(self, user_id: str) -> None: ...
