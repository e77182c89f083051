"""The recording allowance with a clock the test moves."""

from __future__ import annotations

import anyio
import pytest

from server.recording.budget import RecordingBudget
from tests.support.fake_clock import FakeClock


def test_a_session_gets_a_minute_of_allowance_that_refills() -> None:
    clock = FakeClock()
    budget = RecordingBudget(6000, clock=clock)  # 100 bytes a second
    assert budget.try_take("s", 5000) and not budget.try_take("s", 1001)
    assert budget.try_take("other", 6000)  # sessions do not share
    clock.now += 10  # 1000 bytes back
    assert budget.try_take("s", 2000) and not budget.try_take("s", 1)


@pytest.mark.anyio
async def test_taking_waits_until_the_bytes_are_there() -> None:
    budget = RecordingBudget(60 * 1000)  # 1000 bytes a second
    assert budget.try_take("s", 60 * 1000)
    started = anyio.current_time()
    with anyio.fail_after(30):
        await budget.take("s", 100)  # a tenth of a second's worth
    assert anyio.current_time() - started >= 0.09
    with anyio.fail_after(30):
        await budget.take("other", 10**9)  # more than a minute's worth: a full allowance
