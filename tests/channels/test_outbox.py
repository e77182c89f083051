"""The send queue: bounded by bytes, at most one pending full-state answer of each kind; its run
loop keeps a quiet connection alive and ends with the socket."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from server.channels.outbox import FRAME_OVERHEAD, CloseRequest, Outbox


class RecordingTransport:
    """A transport whose peer reads only when the test says so."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed: tuple[int, str] | None = None
        self.pause: Callable[[], None] = lambda: None
        self.resume: Callable[[], None] = lambda: None
        self.ended: Callable[[], None] = lambda: None

    def send(self, frame: bytes) -> None:
        self.sent.append(frame)

    def watch(self, pause: Callable[[], None], resume: Callable[[], None], ended: Callable[[], None]) -> None:
        self.pause, self.resume, self.ended = pause, resume, ended

    def start_close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    async def close(self, code: int, reason: str) -> None:
        self.start_close(code, reason)


def test_frames_wait_while_the_peer_does_not_read_and_go_out_in_order() -> None:
    transport = RecordingTransport()
    outbox = Outbox(transport, max_queue_bytes=10_000)
    outbox.send(b"a")
    transport.pause()
    outbox.send(b"b")
    outbox.send(b"c")
    assert transport.sent == [b"a"] and outbox.queued_bytes == 2 * (1 + FRAME_OVERHEAD)
    transport.resume()
    assert transport.sent == [b"a", b"b", b"c"] and outbox.queued_bytes == 0


def test_the_queue_is_bounded_by_bytes_not_frames() -> None:
    transport = RecordingTransport()
    outbox = Outbox(transport, max_queue_bytes=1000)
    transport.pause()
    outbox.send(b"x" * 500)
    assert transport.closed is None
    outbox.send(b"y" * 500)  # one large frame past the bound: the client is too slow
    assert transport.closed is not None and transport.closed[0] == 4503
    assert outbox.queued_bytes == 0  # what waited is dropped with the connection
    outbox.send(b"z")
    transport.resume()
    assert transport.sent == []


def test_a_waiting_full_state_answer_answers_repeated_requests_unbuilt() -> None:
    transport = RecordingTransport()
    outbox = Outbox(transport, max_queue_bytes=100_000)
    built: list[str] = []

    def answer(name: str) -> Callable[[], bytes]:
        def make() -> bytes:
            built.append(name)
            return name.encode() * 100

        return make

    transport.pause()
    outbox.send_full_state("document", answer("first"))
    for _ in range(50):
        outbox.send_full_state("document", answer("again"))
    outbox.send_full_state("awareness", answer("states"))  # another kind waits beside it
    outbox.send(b"update")
    assert built == ["first", "states"]
    transport.resume()
    assert transport.sent == [b"first" * 100, b"states" * 100, b"update"]
    outbox.send_full_state("document", answer("later"))  # nothing waits now: answered afresh
    assert built[-1] == "later" and transport.sent[-1] == b"later" * 100


class GoneAfterTwoFrames(RecordingTransport):
    def send(self, frame: bytes) -> None:
        super().send(frame)
        if len(self.sent) == 2:
            self.ended()  # the peer went away


@pytest.mark.anyio
async def test_run_sends_keepalives_on_a_quiet_connection_and_ends_with_the_socket() -> None:
    transport = GoneAfterTwoFrames()
    outbox = Outbox(transport, max_queue_bytes=1000)
    with anyio.fail_after(5):
        await outbox.run(0.05, b"keepalive")  # returns, nothing raised
    assert transport.sent == [b"keepalive", b"keepalive"]


@pytest.mark.anyio
async def test_run_raises_the_close_a_handler_asked_for() -> None:
    transport = RecordingTransport()
    outbox = Outbox(transport, max_queue_bytes=1000)
    outbox.request_close(4429, "too many messages: slow down")
    with anyio.fail_after(5), pytest.raises(CloseRequest) as raised:
        await outbox.run(60.0, b"keepalive")
    assert raised.value.code == 4429 and transport.closed == (4429, "too many messages: slow down")


def test_a_held_outbox_sends_the_released_frame_first_then_what_waited() -> None:
    transport = RecordingTransport()
    outbox = Outbox(transport, max_queue_bytes=10_000)
    outbox.hold()
    outbox.send(b"live 1")
    transport.resume()  # the peer reading does not end the hold
    outbox.send(b"live 2")
    assert transport.sent == []
    outbox.release(b"hello")
    outbox.send(b"live 3")
    assert transport.sent == [b"hello", b"live 1", b"live 2", b"live 3"]


def test_a_release_while_the_peer_does_not_read_still_puts_its_frame_first() -> None:
    transport = RecordingTransport()
    outbox = Outbox(transport, max_queue_bytes=10_000)
    outbox.hold()
    outbox.send(b"live")
    transport.pause()
    outbox.release(b"hello")
    assert transport.sent == []
    transport.resume()
    assert transport.sent == [b"hello", b"live"]
