"""The composition root: builds every service from Settings and owns their lifetimes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from server.accounts.service import AccountService
from server.sessions.service import SessionService
from server.settings import Settings
from server.store.account_repository import SqlAccountRepository
from server.store.database import Database
from server.store.migrate import upgrade
from server.store.session_repository import SqlSessionRepository
from server.web.login_throttle import LoginThrottle


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    db: Database
    accounts: AccountService
    sessions: SessionService
    login_throttle: LoginThrottle


@asynccontextmanager
async def running_services(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Services]:
    """Open the database (migrating it first) and build the services on top of it."""
    async with Database(settings.effective_database_url) as db:
        if migrate:
            await upgrade(db)
        yield Services(
            settings=settings,
            db=db,
            accounts=AccountService(
                SqlAccountRepository(db), login_ttl=timedelta(hours=settings.login_ttl_hours)
            ),
            sessions=SessionService(
                SqlSessionRepository(db),
                secret_key=settings.secret_key,
                link_ttl=timedelta(hours=settings.join_link_ttl_hours),
            ),
            login_throttle=LoginThrottle(),
        )
