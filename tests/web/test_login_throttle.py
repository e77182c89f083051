from __future__ import annotations

import pytest

from server.errors import RateLimited
from server.web.login_throttle import LoginThrottle
from tests.support.fake_clock import FakeClock


def test_failures_lock_one_client_and_email_for_the_window() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=3, window_seconds=60, clock=clock)
    for _ in range(3):
        throttle.check("1.2.3.4", "a@example.com")
        throttle.failed("1.2.3.4", "a@example.com")
    with pytest.raises(RateLimited) as exc:
        throttle.check("1.2.3.4", "A@example.com ")
    assert 0 < exc.value.details["retry_after_seconds"] <= 61
    throttle.check("5.6.7.8", "a@example.com")  # another client is unaffected
    clock.now += 61
    throttle.check("1.2.3.4", "a@example.com")


def test_success_clears_and_memory_stays_bounded() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=2, window_seconds=60, max_keys=10, clock=clock)
    throttle.failed("c", "a@example.com")
    throttle.succeeded("c", "a@example.com")
    throttle.failed("c", "a@example.com")
    throttle.check("c", "a@example.com")
    for i in range(100):
        throttle.failed(f"client-{i}", "x@example.com")
    assert len(throttle._failures) <= 10
