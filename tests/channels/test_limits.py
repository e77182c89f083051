"""Per-connection flow limits with a clock the test moves."""

from __future__ import annotations

from server.channels.limits import FrameBudget, TokenBucket
from tests.support.fake_clock import FakeClock


def test_a_frame_budget_runs_out_of_messages_then_refills() -> None:
    clock = FakeClock()
    budget = FrameBudget(2, 3, 1_000_000, 1_000_000, clock=clock)
    assert [budget.take(10) for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one message back
    assert budget.take(10) and not budget.take(10)


def test_a_frame_budget_runs_out_of_bytes_and_a_refusal_spends_nothing() -> None:
    clock = FakeClock()
    budget = FrameBudget(1000, 1000, 100, 300, clock=clock)
    assert budget.take(250)
    assert not budget.take(100)  # 50 bytes left: refused...
    assert budget.take(50)  # ...and the refusal took neither a message nor bytes
    clock.now += 1.0
    assert budget.take(100) and not budget.take(1)


def test_a_token_bucket_never_holds_more_than_its_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, 2, clock=clock)
    clock.now += 60
    assert [bucket.take() for _ in range(3)] == [True, True, False]
