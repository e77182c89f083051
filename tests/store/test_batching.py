"""Look-ups that arrive together share queries, and every one is answered by a query that started
after it asked."""

from __future__ import annotations

from collections.abc import Mapping

import anyio
import anyio.lowlevel
import pytest

from server.store.batching import BatchedLookup

pytestmark = pytest.mark.anyio


class Table:
    """A key-value table whose queries can be held open, counted and made to fail."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.queries: list[list[str]] = []
        self.gate: anyio.Event | None = None  # while set, a query waits for it
        self.started = anyio.Event()
        self.fail: Exception | None = None

    async def fetch(self, keys: list[str]) -> Mapping[str, int]:
        self.queries.append(keys)
        snapshot = dict(self.rows)  # what the query reads, as it starts
        self.started.set()
        await anyio.lowlevel.checkpoint()  # a query waits for its answer
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return {k: snapshot[k] for k in keys if k in snapshot}


async def test_a_lone_look_up_runs_at_once_and_a_burst_shares_queries() -> None:
    table = Table()
    table.rows = {f"k{i}": i for i in range(300)}
    lookup = BatchedLookup(table.fetch, max_keys=100)
    assert await lookup.get("k7") == 7
    assert await lookup.get("missing") is None
    assert table.queries == [["k7"], ["missing"]]

    table.queries.clear()
    answers: dict[str, int | None] = {}

    async def ask(key: str) -> None:
        answers[key] = await lookup.get(key)

    async with anyio.create_task_group() as tg:
        for i in range(300):
            tg.start_soon(ask, f"k{i}")
        tg.start_soon(ask, "k250")  # the same key twice in one batch: asked for once
    assert answers == {f"k{i}": i for i in range(300)}
    # the first alone, then what queued meanwhile, at most 100 keys a query
    assert [len(q) for q in table.queries] == [1, 100, 100, 99]


async def test_a_look_up_made_during_a_query_is_answered_by_a_later_one() -> None:
    table = Table()
    table.rows = {"token": 1}
    table.gate = anyio.Event()
    lookup = BatchedLookup(table.fetch)
    answers: list[int | None] = []

    async def ask() -> None:
        answers.append(await lookup.get("token"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(ask)
        await table.started.wait()  # the first query has read the table
        table.rows = {}  # e.g. the token's link revoked, committed now
        tg.start_soon(ask)
        await anyio.wait_all_tasks_blocked()
        table.gate.set()
    assert answers == [1, None]  # the second was not handed the first query's answer
    assert len(table.queries) == 2


async def test_a_failed_query_fails_its_batch_only() -> None:
    table = Table()
    table.rows = {"a": 1, "b": 2}
    table.gate = anyio.Event()
    lookup = BatchedLookup(table.fetch)
    outcomes: dict[str, object] = {}

    async def ask(key: str) -> None:
        try:
            outcomes[key] = await lookup.get(key)
        except RuntimeError as exc:
            outcomes[key] = str(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(ask, "a")
        await table.started.wait()
        tg.start_soon(ask, "b")  # queued behind the first query, runs the second
        await anyio.wait_all_tasks_blocked()
        table.fail = RuntimeError("database away")
        table.gate.set()
    assert outcomes == {"a": "database away", "b": "database away"}
    table.fail = None
    assert await lookup.get("b") == 2  # the next one runs a query of its own


async def test_a_caller_cancelled_in_its_query_hands_the_rest_of_its_batch_on() -> None:
    table = Table()
    table.rows = {"a": 1, "b": 2, "c": 3}
    first = table.gate = anyio.Event()
    lookup = BatchedLookup(table.fetch)
    answers: dict[str, int | None] = {}

    async def ask(key: str) -> None:
        answers[key] = await lookup.get(key)

    async with anyio.create_task_group() as tg:
        tg.start_soon(ask, "a")
        await table.started.wait()
        async with anyio.create_task_group() as b_group:
            b_group.start_soon(ask, "b")
            tg.start_soon(ask, "c")
            await anyio.wait_all_tasks_blocked()
            second = table.gate = anyio.Event()
            table.started = anyio.Event()
            first.set()
            await table.started.wait()  # "b" runs the second query, for "b" and "c"
            b_group.cancel_scope.cancel()
        await anyio.wait_all_tasks_blocked()
        second.set()
    assert answers == {"a": 1, "c": 3}
    assert table.queries == [["a"], ["b", "c"], ["c"]]


async def test_a_caller_cancelled_while_waiting_leaves_the_others_their_answers() -> None:
    table = Table()
    table.rows = {"a": 1, "b": 2, "c": 3}
    table.gate = anyio.Event()
    lookup = BatchedLookup(table.fetch)
    answers: dict[str, int | None] = {}

    async def ask(key: str) -> None:
        answers[key] = await lookup.get(key)

    async with anyio.create_task_group() as tg:
        tg.start_soon(ask, "a")
        await table.started.wait()
        async with anyio.create_task_group() as waiting:
            waiting.start_soon(ask, "b")
            await anyio.wait_all_tasks_blocked()
            waiting.cancel_scope.cancel()
        tg.start_soon(ask, "c")
        await anyio.wait_all_tasks_blocked()
        table.gate.set()
    assert answers == {"a": 1, "c": 3}
    assert table.queries == [["a"], ["c"]]
