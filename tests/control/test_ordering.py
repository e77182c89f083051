"""The control channel's delivery line: events go in the order they were sent, each once it may."""

from __future__ import annotations

from server.control.ordering import InOrder


def test_events_wait_for_the_ones_sent_before_them() -> None:
    line = InOrder()
    went: list[str] = []
    first, second = line.hold(), line.hold()
    line.now(lambda: went.append("queued position"))  # not recorded: still behind the two
    second.settle(lambda: went.append("second"))
    assert went == []  # the first is not committed yet
    first.settle(lambda: went.append("first"))
    assert went == ["first", "second", "queued position"]
    assert line.waiting == 0


def test_an_event_that_goes_nowhere_releases_the_ones_behind_it() -> None:
    line = InOrder()
    went: list[str] = []
    lost, kept = line.hold(), line.hold()
    kept.settle(lambda: went.append("kept"))
    lost.settle(None)  # could not be stored: nobody gets it
    assert went == ["kept"]


def test_a_failing_delivery_does_not_hold_up_the_rest() -> None:
    line = InOrder()
    went: list[str] = []

    def broken() -> None:
        raise RuntimeError("a bug in one delivery")

    line.now(broken)
    line.now(lambda: went.append("after"))
    assert went == ["after"] and line.waiting == 0
