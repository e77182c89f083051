"""The registry of live sockets: caps per person and per session, the editors' reserve, and
revocations, including one that arrives between a token's check and its socket's admission."""

from __future__ import annotations

import pytest

from server.channels.outbox import CloseRequest
from server.channels.sockets import Channel, Closer, Holder, LiveSockets, Revocation
from tests.support.fake_clock import FakeClock


def holder(participant: str, *, writable: bool = False, role: str = "observer", **more: str) -> Holder:
    return Holder(session_id="s", participant_id=participant, role=role, writable=writable, **more)


def test_caps_per_person_per_session_and_the_editors_reserve() -> None:
    clock = FakeClock()
    sockets = LiveSockets(per_participant=2, per_session=4, editor_reserve=2, clock=clock)
    closed: list[tuple[int, str]] = []
    close = lambda code, reason: closed.append((code, reason))  # noqa: E731
    first = sockets.admit(Channel.SYNC, holder("o1"), close, checked_at=clock())
    sockets.admit(Channel.SYNC, holder("o1"), close, checked_at=clock())
    with pytest.raises(CloseRequest, match="connections open"):
        sockets.admit(Channel.SYNC, holder("o1"), close, checked_at=clock())
    sockets.admit(Channel.CONTROL, holder("o1"), close, checked_at=clock())  # another kind: its own count
    with pytest.raises(CloseRequest, match="viewers"):  # 4 - 2 reserved: the viewers' share is full
        sockets.admit(Channel.SYNC, holder("o2"), close, checked_at=clock())
    sockets.admit(Channel.SYNC, holder("eve", writable=True, role="candidate"), close, checked_at=clock())
    sockets.admit(Channel.SYNC, holder("ada", writable=True, role="interviewer"), close, checked_at=clock())
    with pytest.raises(CloseRequest, match="too many open connections"):
        sockets.admit(Channel.SYNC, holder("bob", writable=True, role="candidate"), close, checked_at=clock())
    sockets.release(first)
    sockets.release(first)  # twice is harmless
    sockets.admit(Channel.SYNC, holder("o2"), close, checked_at=clock())
    assert closed == []


def test_a_revocation_closes_what_it_matches_and_refuses_sockets_checked_before_it() -> None:
    clock = FakeClock()
    sockets = LiveSockets(per_participant=5, per_session=50, editor_reserve=10, clock=clock)
    closed: dict[str, tuple[int, str]] = {}

    def closer(name: str) -> Closer:
        return lambda code, reason: closed.__setitem__(name, (code, reason))

    sockets.admit(
        Channel.SYNC, holder("eve", role="candidate", link_id="L1"), closer("eve"), checked_at=clock()
    )
    sockets.admit(
        Channel.SYNC, holder("ada", role="interviewer", user_id="U1"), closer("ada"), checked_at=clock()
    )
    checked = clock()  # a third socket's token is read now...
    clock.now += 1
    assert sockets.revoke(Revocation("link", "L1", "the join link you used was revoked")) == 1
    assert closed == {"eve": (4403, "the join link you used was revoked")}
    with pytest.raises(CloseRequest, match="revoked"):  # ...and it is admitted after the revocation
        sockets.admit(
            Channel.CONTROL, holder("eve", role="candidate", link_id="L1"), closer("x"), checked_at=checked
        )
    # a session's end sends its guests away, interviewers stay
    assert (
        sockets.revoke(Revocation("session", "s", "ended", roles=frozenset({"candidate", "observer"}))) == 1
    )
    assert "ada" not in closed
    clock.now += 120  # long after: a new socket checked now is not refused by old revocations
    sockets.admit(
        Channel.SYNC, holder("eve", role="candidate", link_id="L1"), closer("y"), checked_at=clock()
    )


def test_revocations_cross_nodes_as_json() -> None:
    revocation = Revocation(
        "user", "U1", "your role no longer allows you to interview", roles=frozenset({"interviewer"})
    )
    assert Revocation.decode(revocation.encode()) == revocation
    with pytest.raises(ValueError):
        Revocation.decode(b'{"scope": "everyone", "id": "x", "reason": "r"}')
