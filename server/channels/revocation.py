"""Access that ends closes its sockets on every node, within moments.

The core services say when access ends (a link rotated or revoked, a session ended, a member
disabled or no longer allowed to interview, a sign-out); this class implements both of their
``AccessEvents`` protocols. It closes the matching sockets of this node at once and publishes
the revocation on the fan-out's node-wide ``access`` topic (a Redis stream in a cluster: ordered
and at-least-once), where every other node applies it to its own sockets.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from server.channels.fanout import ACCESS, EVERY_SESSION, Fanout, FanoutKind, FanoutMessage
from server.channels.sockets import LiveSockets, Revocation

logger = logging.getLogger(__name__)

GUEST_ROLES = frozenset({"candidate", "observer"})
INTERVIEWER_ROLES = frozenset({"interviewer"})


class AccessRevoker:
    def __init__(self, sockets: LiveSockets, fanout: Fanout) -> None:
        self.sockets = sockets
        self._fanout = fanout

    @asynccontextmanager
    async def running(self) -> AsyncIterator[AccessRevoker]:
        start = await self._fanout.position(EVERY_SESSION, ACCESS)
        await self._fanout.subscribe(EVERY_SESSION, start, self._on_remote, ACCESS)
        try:
            yield self
        finally:
            await self._fanout.unsubscribe(EVERY_SESSION, ACCESS)

    def revoke(self, revocation: Revocation) -> int:
        """Close the matching sockets here and on every other node; returns how many closed here."""
        closed = self.sockets.revoke(revocation)
        self._fanout.publish(FanoutMessage(EVERY_SESSION, FanoutKind.REVOKE, revocation.encode(), ACCESS))
        logger.info("access revoked (%s %s): %d sockets closed here", revocation.scope, revocation.id, closed)
        return closed

    def _on_remote(self, message: FanoutMessage) -> None:
        if message.kind is not FanoutKind.REVOKE:
            return
        try:
            revocation = Revocation.decode(message.data)
        except (ValueError, KeyError, TypeError):
            logger.warning("ignoring a malformed revocation from another node")
            return
        self.sockets.revoke(revocation)

    # ---- what the core services report (their AccessEvents protocols) ---------------------------

    def link_revoked(self, link_id: str) -> None:
        self.revoke(Revocation("link", link_id, "the join link you used was revoked"))

    def session_ended(self, session_id: str) -> None:
        """Guests leave an ended session; interviewers stay, read-only."""
        self.revoke(Revocation("session", session_id, "the session has ended", roles=GUEST_ROLES))

    def member_revoked(self, user_id: str, *, interviewing_only: bool = False) -> None:
        if interviewing_only:
            reason = "your role no longer allows you to interview"
            self.revoke(Revocation("user", user_id, reason, roles=INTERVIEWER_ROLES))
        else:
            self.revoke(Revocation("user", user_id, "your account was disabled or signed out everywhere"))

    def login_ended(self, login_id: str) -> None:
        self.revoke(Revocation("login", login_id, "you signed out"))
