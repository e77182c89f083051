"""AccountService: organizations, members, passwords, API keys and browser logins."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

import anyio.to_thread

from server import tokens
from server.accounts.models import ApiKey, LoginSession, Organization, OrgRole, Principal, User
from server.accounts.passwords import Passwords
from server.accounts.permissions import can_interview
from server.accounts.repository import AccountRepository
from server.errors import Forbidden, InvalidInput, NotFound, Unauthenticated

Clock = Callable[[], datetime]

API_KEY_PREFIX = "duet_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# last-used timestamps are written at most this often per key
_TOUCH_EVERY = timedelta(minutes=1)


class AccessEvents(Protocol):
    """Told when a member's access ends, so the sockets it opened close
    (``server.channels.revocation``)."""

    def member_revoked(self, user_id: str, *, interviewing_only: bool = False) -> None: ...

    def login_ended(self, login_id: str) -> None: ...


class _NoAccessEvents:
    def member_revoked(self, user_id: str, *, interviewing_only: bool = False) -> None:
        return None

    def login_ended(self, login_id: str) -> None:
        return None


def normalize_email(email: str) -> str:
    cleaned = email.strip().lower()
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise InvalidInput("not a valid email address", details={"field": "email"})
    return cleaned


class AccountService:
    def __init__(
        self,
        repository: AccountRepository,
        *,
        login_ttl: timedelta,
        passwords: Passwords | None = None,
        access: AccessEvents | None = None,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._repo = repository
        self._passwords = passwords or Passwords()
        self._login_ttl = login_ttl
        self._access: AccessEvents = access or _NoAccessEvents()
        self._clock = clock

    # ---- organizations and members ---------------------------------------------------------

    async def create_organization(self, name: str) -> Organization:
        cleaned = " ".join(name.split())
        if not cleaned or len(cleaned) > 120:
            raise InvalidInput("organization name must be 1-120 characters", details={"field": "name"})
        org = Organization(id=tokens.new_id(), name=cleaned, created_at=self._clock())
        await self._repo.add_organization(org)
        return org

    async def default_organization(self) -> Organization:
        """The first organization, created on demand (single-tenant installs have exactly one)."""
        org = await self._repo.first_organization()
        return org if org is not None else await self.create_organization("Default")

    async def create_user(
        self, *, org_id: str, email: str, password: str, role: OrgRole, display_name: str = ""
    ) -> User:
        email = normalize_email(email)
        name = " ".join(display_name.split()) or email.split("@", 1)[0]
        if len(name) > 64:
            raise InvalidInput("display name is longer than 64 characters", details={"field": "display_name"})
        password_hash = await anyio.to_thread.run_sync(self._passwords.hash, password)
        user = User(
            id=tokens.new_id(),
            org_id=org_id,
            email=email,
            display_name=name,
            role=role,
            password_hash=password_hash,
            created_at=self._clock(),
        )
        await self._repo.add_user(user)
        return user

    async def members(self, org_id: str) -> Sequence[User]:
        return await self._repo.users(org_id)

    async def member(self, org_id: str, user_id: str) -> User:
        user = await self._repo.get_user(user_id)
        if user is None or user.org_id != org_id:
            raise NotFound("no such member")
        return user

    async def user_by_email(self, email: str) -> User:
        user = await self._repo.user_by_email(normalize_email(email))
        if user is None:
            raise NotFound(f"no user with email {email}")
        return user

    async def change_role(self, actor: Principal, user_id: str, role: OrgRole) -> User:
        target = await self.member(actor.org_id, user_id)
        if target.id == actor.user.id and role is not OrgRole.ADMIN:
            raise Forbidden("you cannot remove your own admin role")
        updated = await self._repo.update_user(target.id, role=role)
        assert updated is not None
        if can_interview(target.role) and not can_interview(role):
            self._access.member_revoked(target.id, interviewing_only=True)
        return updated

    async def set_disabled(self, actor: Principal, user_id: str, disabled: bool) -> User:
        target = await self.member(actor.org_id, user_id)
        if target.id == actor.user.id:
            raise Forbidden("you cannot disable yourself")
        if disabled:
            updated = await self._repo.update_user(target.id, disabled_at=self._clock())
            await self._repo.delete_logins_of(target.id)
            self._access.member_revoked(target.id)
        else:
            updated = await self._repo.update_user(target.id, enable=True)
        assert updated is not None
        return updated

    async def set_password(self, user_id: str, password: str) -> None:
        password_hash = await anyio.to_thread.run_sync(self._passwords.hash, password)
        await self._repo.update_user(user_id, password_hash=password_hash)
        await self._repo.delete_logins_of(user_id)
        self._access.member_revoked(user_id)

    # ---- browser logins --------------------------------------------------------------------

    async def login(self, email: str, password: str) -> tuple[Principal, str]:
        """Check a password and open a login; returns the principal and the cookie token."""
        try:
            user = await self._repo.user_by_email(normalize_email(email))
        except InvalidInput:
            user = None
        if user is None or not user.active:
            await anyio.to_thread.run_sync(self._passwords.dummy_verify, password)
            raise Unauthenticated("wrong email or password")
        ok = await anyio.to_thread.run_sync(self._passwords.verify, user.password_hash, password)
        if not ok:
            raise Unauthenticated("wrong email or password")
        if self._passwords.needs_rehash(user.password_hash):
            new_hash = await anyio.to_thread.run_sync(self._passwords.hash, password)
            await self._repo.update_user(user.id, password_hash=new_hash)
        token = tokens.new_secret_token()
        now = self._clock()
        login = LoginSession(
            id=tokens.new_id(),
            user_id=user.id,
            token_hash=tokens.digest(token),
            created_at=now,
            expires_at=now + self._login_ttl,
        )
        await self._repo.add_login(login)
        return Principal(user, login.id), token

    async def principal_for_login(self, token: str) -> Principal:
        login = await self._repo.login_by_token_hash(tokens.digest(token)) if token else None
        if login is None or login.expires_at <= self._clock():
            raise Unauthenticated("please sign in")
        return await self._active_principal(login.user_id, login.id)

    async def login_access(self, login_id: str) -> tuple[Principal, datetime]:
        """The member signed in as ``login_id`` and when that sign-in ends; Unauthenticated if it
        has ended (signed out, expired) or the member is disabled."""
        found = await self._repo.login_with_user(login_id)
        if found is None or found[0].expires_at <= self._clock():
            raise Unauthenticated("you are signed out: sign in again")
        login, user = found
        if not user.active:
            raise Unauthenticated("this account is disabled")
        return Principal(user, login.id), login.expires_at

    async def logout(self, token: str) -> None:
        """End a sign-in, and with it every pad socket it opened."""
        login = await self._repo.login_by_token_hash(tokens.digest(token))
        await self._repo.delete_login(tokens.digest(token))
        if login is not None:
            self._access.login_ended(login.id)

    # ---- API keys --------------------------------------------------------------------------

    async def create_api_key(self, user: User, name: str = "") -> tuple[ApiKey, str]:
        """Issue a key; the returned token is shown once and never stored."""
        label = " ".join(name.split())[:80] or "API key"
        token = tokens.new_secret_token(API_KEY_PREFIX)
        key = ApiKey(
            id=tokens.new_id(),
            user_id=user.id,
            name=label,
            prefix=token[: len(API_KEY_PREFIX) + 6],
            token_hash=tokens.digest(token),
            created_at=self._clock(),
        )
        await self._repo.add_api_key(key)
        return key, token

    async def api_keys(self, user: User) -> Sequence[ApiKey]:
        return await self._repo.api_keys(user.id)

    async def revoke_api_key(self, user: User, key_id: str) -> None:
        if not await self._repo.revoke_api_key(key_id, user.id, self._clock()):
            raise NotFound("no such API key")

    async def principal_for_api_key(self, token: str) -> Principal:
        found = await self._repo.api_key_by_token_hash(tokens.digest(token)) if token else None
        if found is None or found[0].revoked_at is not None:
            raise Unauthenticated("invalid or revoked API key")
        key, user = found
        if not user.active:
            raise Unauthenticated("this account is disabled")
        now = self._clock()
        if key.last_used_at is None or now - key.last_used_at >= _TOUCH_EVERY:
            await self._repo.touch_api_key(key.id, now)
        return Principal(user)

    async def _active_principal(self, user_id: str, login_id: str | None = None) -> Principal:
        user = await self._repo.get_user(user_id)
        if user is None or not user.active:
            raise Unauthenticated("this account is disabled")
        return Principal(user, login_id)
