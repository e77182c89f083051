"""An attempt's quotas: runs and saves a minute, one sample run at a time; other attempts are
not affected; the window slides."""

from __future__ import annotations

import pytest

from server.errors import RateLimited
from server.hiring.attempt_quota import AttemptQuota
from tests.support.fake_clock import FakeClock


def test_saves_and_runs_are_counted_per_attempt_in_a_sliding_minute() -> None:
    clock = FakeClock()
    quota = AttemptQuota(runs_per_minute=2, saves_per_minute=3, clock=clock)
    for _ in range(3):
        quota.take("save", "a")
    with pytest.raises(RateLimited):
        quota.take("save", "a")
    quota.take("save", "b")  # another attempt has its own
    clock.now += 59.9
    with pytest.raises(RateLimited):
        quota.take("save", "a")
    clock.now += 0.2  # the first three are a minute old: room again (the refused one did not count)
    quota.take("save", "a")
    with quota.one_run("a"), pytest.raises(RateLimited, match="already running"), quota.one_run("a"):
        pass
    with quota.one_run("a"):
        pass
    with pytest.raises(RateLimited), quota.one_run("a"):  # the third run in a minute
        pass
