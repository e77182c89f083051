"""A challenge with a time limit of its own: its clock starts when it is first opened, work on
it is refused once its time is up (what was saved before counts), and the attempt's deadline
still bounds it. On both databases, with the attempt service on a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest

from server.errors import Gone
from server.hiring.assessment import load_assessment
from server.hiring.attempts import AttemptService
from server.hiring.invitation_model import InvitationRequest
from server.hiring.judge import Judge
from server.hiring.loader import load_challenge
from tests.support.app_harness import AppHarness
from tests.support.attempt_content import QUIZ_FILES, QUIZ_RIGHT
from tests.support.challenge_folders import as_bytes

pytestmark = pytest.mark.anyio

PARTS = """\
id: parts
title: Timed parts
time_limit_minutes: 30
passing_score: 50
languages: [python]
challenges:
  - {challenge: quiz, time_limit_minutes: 2}
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_part_with_its_own_limit_refuses_work_after_it(app: AppHarness) -> None:
    svc = app.services
    org = (await svc.accounts.default_organization()).id
    raw = as_bytes(QUIZ_FILES)
    await svc.content.import_challenge(org, load_challenge(raw), raw, {})
    await svc.content.import_assessment(org, load_assessment(PARTS, "parts.yaml"), PARTS)
    user = await app.member("int@example.com")
    [(_, url)] = await svc.invitations.invite(
        org, user.id, "parts", [InvitationRequest(email="ada@example.com", name="Ada")]
    )
    token = url.rsplit("/", 1)[1]
    clock = Clock()

    async def end(session_id: str, org_id: str) -> object:
        return await svc.end_session(session_id, org_id=org_id)

    attempts = AttemptService(
        svc.db, svc.content, svc.sessions, Judge(svc.executor, anyio.CapacityLimiter(1)),
        svc.executor.catalogue, end_session=end, clock=clock,
    )  # fmt: skip
    await attempts.start(token)
    clock.now += timedelta(minutes=5)  # the part's clock starts when it is opened, not at the start
    _, saved, part_deadline = await attempts.view(token, "quiz", None)
    assert saved is None and part_deadline == clock.now + timedelta(minutes=2)
    clock.now += timedelta(minutes=1)
    await attempts.save(token, "quiz", language=None, files={}, answers=QUIZ_RIGHT)
    clock.now += timedelta(minutes=1)  # exactly at the part's end
    with pytest.raises(Gone) as refused:
        await attempts.save(token, "quiz", language=None, files={}, answers={})
    assert refused.value.details["reason"] == "part_time_up"
    # reopening does not restart its clock
    assert (await attempts.view(token, "quiz", None))[2] == part_deadline
    done = await attempts.submit(token)
    assert done.state == "submitted"
    inv, _ = await svc.invitations.get(org, (await svc.invitations.search(org, "parts"))[0].id)
    assert inv.score == 100  # the answers saved in time
