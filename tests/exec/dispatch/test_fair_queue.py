"""The per-node run slots: a limit, round-robin between sessions, positions reported."""

from __future__ import annotations

import anyio
import pytest

from server.exec.dispatch.fair_queue import FairQueue

pytestmark = pytest.mark.anyio


async def test_sessions_take_turns_and_waiters_learn_their_position() -> None:
    queue = FairQueue(1)
    order: list[str] = []
    positions: dict[str, list[int]] = {}
    release = anyio.Event()
    queued = anyio.Event()

    async def run(label: str, session: str) -> None:
        def on_position(position: int) -> None:
            positions.setdefault(label, []).append(position)
            if len(positions) == 4:
                queued.set()

        async with queue.slot(session, on_position):
            order.append(label)
            await release.wait()

    async with anyio.create_task_group() as tg:
        tg.start_soon(run, "a1", "a")
        # session a queues three more before b queues one: b must not wait behind all of them
        for label in ("a2", "a3", "a4"):
            tg.start_soon(run, label, "a")
        tg.start_soon(run, "b1", "b")
        with anyio.fail_after(60):
            await queued.wait()
        assert queue.running == 1 and queue.waiting == 4
        release.set()
    assert order == ["a1", "a2", "b1", "a3", "a4"]
    assert positions["b1"] == [2, 1]  # second in line at once (round-robin), then first
    assert queue.running == 0 and queue.waiting == 0


async def test_a_cancelled_waiter_leaves_the_line() -> None:
    queue = FairQueue(1)
    holding = anyio.Event()
    release = anyio.Event()

    async def hold() -> None:
        async with queue.slot("a"):
            holding.set()
            await release.wait()

    async with anyio.create_task_group() as tg:
        tg.start_soon(hold)
        await holding.wait()
        with anyio.move_on_after(0.05):
            async with queue.slot("b"):
                raise AssertionError("must not get the slot while it is held")
        assert queue.waiting == 0
        release.set()
    async with queue.slot("c"):
        assert queue.running == 1
