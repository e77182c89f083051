"""The session model through the real storage, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Row, text

from server.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound, Unauthenticated
from server.sessions.lifecycle import SessionState, transition
from server.sessions.models import IssuedLink
from server.sessions.roles import LINK_ROLES, Role
from tests.support.app_harness import AppHarness

pytestmark = pytest.mark.anyio


async def _org(app: AppHarness) -> str:
    return (await app.services.accounts.default_organization()).id


async def test_create_issues_one_unguessable_link_per_role(app: AppHarness) -> None:
    svc = app.services.sessions
    session, issued = await svc.create(
        org_id=await _org(app), title="  Pairing   on graphs ", language="go", created_by=None
    )
    assert session.title == "Pairing on graphs"
    assert session.state is SessionState.CREATED
    assert sorted(i.link.role for i in issued) == sorted(LINK_ROLES)
    for item in issued:
        assert len(item.token) >= 43  # 256 bits, base64url
        assert item.link.token_hash != item.token
    assert len({i.token for i in issued}) == 3
    # The dashboard can show the same links again without the database ever holding them.
    again = {i.link.role: i.token for i in await svc.links(session)}
    assert again == {i.link.role: i.token for i in issued}


async def test_tokens_are_stored_hashed_only(app: AppHarness) -> None:
    svc = app.services.sessions
    session, issued = await svc.create(org_id=await _org(app), title="t", language="python", created_by=None)
    admission = await svc.join(issued[1].token, display_name="Cand")
    async with app.services.db.sessions() as tx:
        rows: list[Row[Any]] = []
        for table in ("join_links", "participants"):
            rows += (await tx.execute(text(f"SELECT * FROM {table}"))).all()
    dump = " ".join(str(row) for row in rows)
    assert len(rows) == 4
    for secret in [*(i.token for i in issued), admission.token]:
        assert secret not in dump


async def test_unknown_language_and_empty_title_are_refused(app: AppHarness) -> None:
    svc = app.services.sessions
    org = await _org(app)
    with pytest.raises(InvalidInput):
        await svc.create(org_id=org, title="t", language="cobol", created_by=None)
    with pytest.raises(InvalidInput):
        await svc.create(org_id=org, title="   ", language="python", created_by=None)
    assert await svc.list_sessions(org_id=org) == []


async def test_candidate_joins_without_account_and_session_goes_live(app: AppHarness) -> None:
    svc = app.services.sessions
    session, issued = await svc.create(org_id=await _org(app), title="t", language="python", created_by=None)
    candidate_link = next(i for i in issued if i.link.role is Role.CANDIDATE)
    admission = await svc.join(candidate_link.token, display_name="  Ada\u0000 Lovelace ")
    assert admission.participant.display_name == "Ada Lovelace"
    assert admission.participant.role is Role.CANDIDATE
    assert admission.session.state is SessionState.LIVE
    credential = await svc.authenticate(session.id, admission.token)
    assert credential.participant.id == admission.participant.id
    with pytest.raises(Unauthenticated):
        await svc.authenticate("0" * 16, admission.token)  # token of another session
    with pytest.raises(Unauthenticated):
        await svc.authenticate(session.id, admission.token[:-1] + "x")


async def test_interviewer_link_needs_a_member(app: AppHarness) -> None:
    svc = app.services.sessions
    user = await app.member("int@example.com")
    _, issued = await svc.create(org_id=user.org_id, title="t", language="python", created_by=user.id)
    interviewer_link = next(i for i in issued if i.link.role is Role.INTERVIEWER)
    with pytest.raises(Unauthenticated):
        await svc.join(interviewer_link.token, display_name="Mallory")
    first = await svc.join(interviewer_link.token, display_name=user.display_name, user_id=user.id)
    second = await svc.join(interviewer_link.token, display_name=user.display_name, user_id=user.id)
    assert first.participant.id == second.participant.id  # one participant per member and role
    assert first.token == second.token


async def test_expired_revoked_and_unknown_links(app: AppHarness) -> None:
    svc = app.services.sessions
    org = await _org(app)
    session, issued = await svc.create(
        org_id=org, title="t", language="python", created_by=None, link_ttl=timedelta(seconds=-1)
    )
    with pytest.raises(Gone):
        await svc.open_link(issued[1].token)
    fresh = await svc.rotate_link(session, Role.CANDIDATE, ttl=timedelta(hours=1))
    await svc.open_link(fresh.token)
    with pytest.raises(NotFound):
        await svc.open_link("definitely-not-a-token")
    with pytest.raises(NotFound):
        await svc.open_link("")
    rotated = await svc.rotate_link(session, Role.CANDIDATE, ttl=timedelta(hours=1))
    with pytest.raises(Forbidden):
        await svc.open_link(fresh.token)  # the rotated-away link is revoked
    await svc.open_link(rotated.token)


async def test_revoking_a_link_cuts_off_its_participants(app: AppHarness) -> None:
    svc = app.services.sessions
    session, issued = await svc.create(org_id=await _org(app), title="t", language="python", created_by=None)
    admission = await svc.join(issued[1].token, display_name="Cand")
    await svc.revoke_link(session, Role.CANDIDATE)
    with pytest.raises(Forbidden):
        await svc.authenticate(session.id, admission.token)


async def test_end_makes_session_read_only_and_is_idempotent(app: AppHarness) -> None:
    svc = app.services.sessions
    org = await _org(app)
    session, _ = await svc.create(org_id=org, title="t", language="python", created_by=None)
    ended = await svc.end(session.id, org_id=org)
    assert ended.state is SessionState.ENDED and ended.read_only
    assert ended.ended_at is not None and ended.ended_at.tzinfo is not None
    assert (await svc.end(session.id, org_id=org)).ended_at == ended.ended_at
    with pytest.raises(NotFound):
        await svc.end(session.id, org_id="another-org")


async def test_list_is_scoped_to_the_organization_and_paginates(app: AppHarness) -> None:
    svc = app.services.sessions
    org = await _org(app)
    other = await app.services.accounts.create_organization("Other")
    made = [
        (await svc.create(org_id=org, title=f"s{i}", language="python", created_by=None))[0] for i in range(5)
    ]
    await svc.create(org_id=other.id, title="foreign", language="python", created_by=None)
    page1 = await svc.list_sessions(org_id=org, limit=3)
    page2 = await svc.list_sessions(org_id=org, limit=3, before=(page1[-1].created_at, page1[-1].id))
    assert [s.id for s in [*page1, *page2]] == [s.id for s in reversed(made)]
    with pytest.raises(NotFound):
        await svc.get(made[0].id, org_id=other.id)


def test_lifecycle_transitions() -> None:
    assert transition(SessionState.CREATED, SessionState.LIVE) is SessionState.LIVE
    assert transition(SessionState.LIVE, SessionState.ENDED) is SessionState.ENDED
    assert transition(SessionState.CREATED, SessionState.ENDED) is SessionState.ENDED
    with pytest.raises(Conflict):
        transition(SessionState.ENDED, SessionState.LIVE)
    with pytest.raises(Conflict):
        transition(SessionState.LIVE, SessionState.CREATED)


async def test_reviewer_admission_only_after_the_end(app: AppHarness) -> None:
    svc = app.services.sessions
    user = await app.member("rev@example.com")
    session, issued = await svc.create(org_id=user.org_id, title="t", language="python", created_by=None)
    ended = await svc.end(session.id, org_id=user.org_id)
    admission = await svc.admit_member(ended, user_id=user.id, display_name="Rev", role=Role.REVIEWER)
    assert admission.session.state is SessionState.ENDED
    assert admission.participant.joined_at <= datetime.now(UTC)


async def test_tokens_checked_at_once_each_get_their_own_answer(app: AppHarness) -> None:
    """A node's clients reconnecting together have their tokens checked in shared queries
    (server/store/batching.py): every token still gets exactly its own participant and verdict."""
    svc = app.services.sessions
    org = await _org(app)

    def link(issued: list[IssuedLink], role: Role) -> str:
        return next(i.token for i in issued if i.link.role is role)

    live, live_links = await svc.create(org_id=org, title="live", language="python", created_by=None)
    guests = [await svc.join(link(live_links, Role.CANDIDATE), display_name=f"c{i}") for i in range(4)]
    guests.append(await svc.join(link(live_links, Role.OBSERVER), display_name="o"))
    revoked, revoked_links = await svc.create(org_id=org, title="revoked", language="python", created_by=None)
    cut_off = await svc.join(link(revoked_links, Role.CANDIDATE), display_name="cut")
    await svc.revoke_link(revoked, Role.CANDIDATE)
    ended, ended_links = await svc.create(org_id=org, title="ended", language="python", created_by=None)
    late = await svc.join(link(ended_links, Role.OBSERVER), display_name="late")
    await svc.end(ended.id, org_id=org)

    checks = [(live.id, g.token) for g in guests]
    checks += [
        (revoked.id, cut_off.token),
        (ended.id, late.token),
        (live.id, cut_off.token),
        (live.id, "nope"),
    ]
    results = await asyncio.gather(*(svc.authenticate(s, t) for s, t in checks), return_exceptions=True)

    for guest, result in zip(guests, results, strict=False):
        assert not isinstance(result, BaseException), result
        assert result.participant.id == guest.participant.id and result.session.id == live.id
    assert [type(r) for r in results[len(guests) :]] == [
        Forbidden,
        Forbidden,
        Unauthenticated,
        Unauthenticated,
    ]
