"""SQLAlchemy implementation of ``server.accounts.repository.AccountRepository``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from server.accounts.models import ApiKey, LoginSession, Organization, OrgRole, User
from server.errors import Conflict
from server.store.batching import BatchedLookup
from server.store.database import Database
from server.store.tables import ApiKeyRow, LoginRow, OrganizationRow, UserRow


def _org(row: OrganizationRow) -> Organization:
    return Organization(id=row.id, name=row.name, created_at=row.created_at)


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        org_id=row.org_id,
        email=row.email,
        display_name=row.display_name,
        role=OrgRole(row.role),
        password_hash=row.password_hash,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        token_hash=row.token_hash,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class SqlAccountRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        # every member's pad socket is checked through it (server/store/batching.py)
        self._logins: BatchedLookup[str, tuple[LoginSession, User]] = BatchedLookup(self._logins_with_users)

    async def add_organization(self, org: Organization) -> None:
        async with self._db.transaction() as tx:
            tx.add(OrganizationRow(id=org.id, name=org.name, created_at=org.created_at))

    async def get_organization(self, org_id: str) -> Organization | None:
        async with self._db.session() as tx:
            row = await tx.get(OrganizationRow, org_id)
            return _org(row) if row else None

    async def first_organization(self) -> Organization | None:
        async with self._db.session() as tx:
            row = (
                await tx.execute(select(OrganizationRow).order_by(OrganizationRow.created_at).limit(1))
            ).scalar_one_or_none()
            return _org(row) if row else None

    async def add_user(self, user: User) -> None:
        try:
            async with self._db.transaction() as tx:
                tx.add(
                    UserRow(
                        id=user.id,
                        org_id=user.org_id,
                        email=user.email,
                        display_name=user.display_name,
                        role=user.role.value,
                        password_hash=user.password_hash,
                        created_at=user.created_at,
                        disabled_at=user.disabled_at,
                    )
                )
        except IntegrityError as exc:
            raise Conflict("a user with this email already exists", details={"field": "email"}) from exc

    async def get_user(self, user_id: str) -> User | None:
        async with self._db.session() as tx:
            row = await tx.get(UserRow, user_id)
            return _user(row) if row else None

    async def user_by_email(self, email: str) -> User | None:
        async with self._db.session() as tx:
            row = (await tx.execute(select(UserRow).where(UserRow.email == email))).scalar_one_or_none()
            return _user(row) if row else None

    async def users(self, org_id: str) -> Sequence[User]:
        async with self._db.session() as tx:
            rows = await tx.execute(select(UserRow).where(UserRow.org_id == org_id).order_by(UserRow.email))
            return [_user(row) for row in rows.scalars()]

    async def update_user(
        self,
        user_id: str,
        *,
        role: OrgRole | None = None,
        password_hash: str | None = None,
        disabled_at: datetime | None = None,
        enable: bool = False,
    ) -> User | None:
        async with self._db.transaction() as tx:
            row = await tx.get(UserRow, user_id)
            if row is None:
                return None
            if role is not None:
                row.role = role.value
            if password_hash is not None:
                row.password_hash = password_hash
            if disabled_at is not None:
                row.disabled_at = disabled_at
            if enable:
                row.disabled_at = None
            await tx.flush()
            return _user(row)

    async def add_api_key(self, key: ApiKey) -> None:
        async with self._db.transaction() as tx:
            tx.add(
                ApiKeyRow(
                    id=key.id,
                    user_id=key.user_id,
                    name=key.name,
                    prefix=key.prefix,
                    token_hash=key.token_hash,
                    created_at=key.created_at,
                )
            )

    async def api_key_by_token_hash(self, token_hash: str) -> tuple[ApiKey, User] | None:
        # key and member in one statement: this runs for every API request
        stmt = select(ApiKeyRow, UserRow).join(UserRow, UserRow.id == ApiKeyRow.user_id)
        async with self._db.session() as tx:
            row = (await tx.execute(stmt.where(ApiKeyRow.token_hash == token_hash))).one_or_none()
            return (_key(row[0]), _user(row[1])) if row else None

    async def api_keys(self, user_id: str) -> Sequence[ApiKey]:
        async with self._db.session() as tx:
            stmt = select(ApiKeyRow).where(ApiKeyRow.user_id == user_id).order_by(ApiKeyRow.created_at.desc())
            return [_key(row) for row in (await tx.execute(stmt)).scalars()]

    async def revoke_api_key(self, key_id: str, user_id: str, at: datetime) -> bool:
        async with self._db.transaction() as tx:
            result = await tx.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, ApiKeyRow.user_id == user_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            return bool(getattr(result, "rowcount", 0))

    async def touch_api_key(self, key_id: str, at: datetime) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=at))

    async def add_login(self, login: LoginSession) -> None:
        async with self._db.transaction() as tx:
            tx.add(
                LoginRow(
                    id=login.id,
                    user_id=login.user_id,
                    token_hash=login.token_hash,
                    created_at=login.created_at,
                    expires_at=login.expires_at,
                )
            )

    async def login_by_token_hash(self, token_hash: str) -> LoginSession | None:
        async with self._db.session() as tx:
            row = (
                await tx.execute(select(LoginRow).where(LoginRow.token_hash == token_hash))
            ).scalar_one_or_none()
            return _login(row) if row is not None else None

    async def login_with_user(self, login_id: str) -> tuple[LoginSession, User] | None:
        return await self._logins.get(login_id)

    async def _logins_with_users(self, login_ids: Sequence[str]) -> dict[str, tuple[LoginSession, User]]:
        stmt = select(LoginRow, UserRow).join(UserRow, UserRow.id == LoginRow.user_id)
        async with self._db.session() as tx:
            rows = (await tx.execute(stmt.where(LoginRow.id.in_(login_ids)))).all()
        return {login.id: (_login(login), _user(user)) for login, user in rows}

    async def delete_login(self, token_hash: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(delete(LoginRow).where(LoginRow.token_hash == token_hash))

    async def delete_logins_of(self, user_id: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(delete(LoginRow).where(LoginRow.user_id == user_id))


def _login(row: LoginRow) -> LoginSession:
    return LoginSession(
        id=row.id,
        user_id=row.user_id,
        token_hash=row.token_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )
