"""Just the accounts service, for the command line's `user` and `apikey` commands: a one-row
change starts no rooms, no control channel and no sandbox engine, and imports none of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta

from server.accounts.service import AccountService
from server.channels.fanout import Fanout, LocalFanout
from server.channels.redis_fanout import RedisFanout
from server.channels.revocation import AccessRevoker
from server.channels.sockets import LiveSockets
from server.settings import Settings
from server.store.account_repository import SqlAccountRepository
from server.store.database import Database
from server.store.migrate import upgrade


def live_sockets(settings: Settings) -> LiveSockets:
    return LiveSockets(
        per_participant=settings.live_sockets_per_participant,
        per_session=settings.live_sockets_per_session,
        editor_reserve=settings.live_editor_reserve,
    )


@asynccontextmanager
async def running_accounts(settings: Settings) -> AsyncIterator[AccountService]:
    """Only what managing members and API keys needs (the command line's `user` and `apikey`):
    the database, and, in a cluster, the fan-out that tells the nodes a member's sign-ins ended
    (a password change). No rooms, no sandbox engine."""
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(Database(settings.effective_database_url))
        await upgrade(db)
        fanout: Fanout = LocalFanout()
        if settings.redis_url:
            fanout = await stack.enter_async_context(
                RedisFanout(settings.redis_url, prefix=settings.redis_prefix).running()
            )
        revoker = await stack.enter_async_context(AccessRevoker(live_sockets(settings), fanout).running())
        yield AccountService(
            SqlAccountRepository(db), login_ttl=timedelta(hours=settings.login_ttl_hours), access=revoker
        )
