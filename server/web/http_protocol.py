"""uvicorn's HTTP/1.1 protocol (httptools) with the limits a server facing the internet needs.

uvicorn bounds none of these; ``DuetHttpProtocol`` adds them (``http_protocol`` builds it for
uvicorn's ``http`` option, see ``server_options`` in ``server.web.app``):

- **Request heads.** A request line and headers must be complete within
  ``http_header_timeout_seconds`` of the connection's opening (first request) or of the request's
  first byte (later ones), else 408 (a connection that sent nothing at all is closed without
  one); and at most ``MAX_HEAD_BYTES`` long, else 431. uvicorn only times out idle keep-alive
  connections (``timeout_keep_alive``, Duet's ``http_keepalive_seconds``): a client sending its
  headers one byte at a time held a connection for ever, and one that never ended a header line
  grew it without bound.
- **Request bodies.** A body that sends nothing for ``http_body_idle_seconds`` ends its
  connection (408 when no response has started). Waits Duet imposes do not count: reading paused
  because the app has not taken what arrived, or an ``Expect: 100-continue`` not answered yet.
- **Connections per address.** A connection from an address that already holds
  ``max_connections_per_address`` open ones (``connections_per_address``) is refused: a 429 on its
  first bytes, which are never parsed (closed without an answer if it sends nothing).
- **Answers that end a connection while the request still arrives** (``BodyLimit``'s 413, a 500,
  the answers above) end with a lingering close (``lingering_close``), so the client reads the
  answer instead of a connection reset.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from asyncio import TimerHandle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from server.settings import Settings
from server.web.connections_per_address import ConnectionsPerAddress, peer_address
from server.web.lingering_close import LingeringClose

logger = logging.getLogger(__name__)

#: The longest request head (request line and headers) accepted. Browsers' heads are a few KiB
#: (cookies included); nginx allows 4 x 8 KiB per header line, Node 16 KiB in all.
MAX_HEAD_BYTES = 64 * 1024
#: What a lingering close reads and discards at most, in request-body limits.
LINGER_BODY_LIMITS = 4


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """What every connection of one server is held to; ``per_address`` is that server's table."""

    header_timeout: float
    body_idle_timeout: float
    linger_bytes: int
    per_address: ConnectionsPerAddress

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(
            header_timeout=settings.http_header_timeout_seconds,
            body_idle_timeout=settings.http_body_idle_seconds,
            linger_bytes=LINGER_BODY_LIMITS * settings.max_request_bytes,
            per_address=ConnectionsPerAddress(settings.max_connections_per_address),
        )


def http_protocol(settings: Settings) -> Callable[..., DuetHttpProtocol]:
    """uvicorn's ``http`` option: builds a ``DuetHttpProtocol`` per connection, all sharing one
    set of limits (one per call: each server counts its own connections)."""
    return functools.partial(DuetHttpProtocol, limits=ConnectionLimits.from_settings(settings))


def problem_response(
    status: int, code: str, message: str, default_headers: list[tuple[bytes, bytes]]
) -> bytes:
    """A whole HTTP response carrying a JSON problem, ending the connection (written by the
    protocol itself, where no ASGI app runs)."""
    body = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    head = [STATUS_LINE[status]]
    for name, value in default_headers:
        head += [name, b": ", value, b"\r\n"]
    head += [
        b"content-type: application/json\r\n",
        b"content-length: %d\r\n" % len(body),
        b"x-content-type-options: nosniff\r\n",
        b"connection: close\r\n\r\n",
    ]
    return b"".join(head) + body


class _FlowControl(FlowControl):
    """uvicorn's flow control, telling the protocol when it resumes reading: the time reading was
    paused (the app had not taken the body that came, or a pipelined request waited for the one
    before it) is no client's silence."""

    def __init__(self, transport: asyncio.Transport, on_resume: Callable[[], None]) -> None:
        super().__init__(transport)
        self._on_resume = on_resume

    def resume_reading(self) -> None:
        if self.read_paused:
            self._on_resume()
        super().resume_reading()


class _ResponseTransport(asyncio.Transport):
    """What one request's response cycle writes to: the connection, except that the cycle's close
    (after a ``Connection: close`` answer) goes through the protocol, which lingers when the
    request is still arriving. uvicorn's cycle uses ``write``, ``close`` and ``is_closing``."""

    def __init__(self, protocol: DuetHttpProtocol, cycle: RequestResponseCycle) -> None:
        super().__init__()
        self._protocol = protocol
        self._cycle = cycle

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._protocol.lingering:
            return  # the connection's answer is written and its end under way: nothing more goes
        if self._cycle.waiting_for_100_continue:  # this is the "100 Continue": the body may come now
            self._protocol.note_client_progress()
        self._protocol.transport.write(data)

    def is_closing(self) -> bool:
        return self._protocol.transport.is_closing() or self._protocol.lingering

    def close(self) -> None:
        self._protocol.close_after_response()


class DuetHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with head and body timeouts, a head size cap, a cap on
    connections per address and lingering closes (see the module's docstring)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: ConnectionLimits,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._limits = limits
        self._address: str | None = None
        self._counted = False  # in the per-address table, to be released when the connection ends
        self._head_open = True  # the next bytes belong to a request head
        self._head_bytes = 0  # bytes of the current head (a lower bound: see data_received)
        self._heads_done = 0
        self._in_message = False  # between a request's first byte and its end
        self._in_body = False
        self._client_progress_at = 0.0  # when the client last sent, or Duet last let it send
        self._head_timer: TimerHandle | None = None
        self._body_timer: TimerHandle | None = None
        self._linger: LingeringClose | None = None
        self._upgraded = False
        self._refused = False  # its address was at the cap: it gets a 429 and nothing else

    @property
    def lingering(self) -> bool:
        return self._linger is not None

    # ---- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.flow = _FlowControl(transport, self._reading_resumed)
        self._address = peer_address(transport)
        self._refused = not self._limits.per_address.admit(self._address, transport)
        self._counted = not self._refused
        # also for a refused connection: one that never sends a byte is closed without an answer
        self._head_timer = self.loop.call_later(self._limits.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        if self._linger is not None:
            self._linger.cancel()
        if self._counted:
            self._counted = False
            self._limits.per_address.release(self._address, self.transport)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._linger is not None:
            self._linger.discard(data)
            return
        if self._refused:
            self._refuse()
            self._discard(data)
            return
        self._client_progress_at = self.loop.time()
        head_was_open, heads_done = self._head_open, self._heads_done
        super().data_received(data)
        if self._upgraded or self.transport.is_closing():
            return
        if self._head_open:
            if head_was_open and heads_done == self._heads_done:
                self._head_bytes += len(data)  # all of it went to the head still open
            else:
                # this head began inside ``data`` at an offset httptools does not tell: count none
                # of it (the count then falls short by less than one read)
                self._head_bytes = 0
            if self._head_bytes > MAX_HEAD_BYTES:
                logger.info(
                    "closed a connection from %s: request head over %d bytes", self._address, MAX_HEAD_BYTES
                )
                self._answer_and_close(
                    431, "headers_too_large", f"the request head is larger than {MAX_HEAD_BYTES} bytes"
                )
                return
        if self._in_body and self._body_timer is None:
            self._body_timer = self.loop.call_later(self._limits.body_idle_timeout, self._body_check)

    # ---- httptools parser callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_message = True
        if self._head_timer is None:  # a later request on this connection: its head starts now
            self._head_timer = self.loop.call_later(self._limits.header_timeout, self._head_timed_out)

    def on_headers_complete(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._head_open = False
        self._head_bytes = 0
        self._heads_done += 1
        previous = self.cycle
        super().on_headers_complete()
        if self.cycle is not previous:  # a request (not a websocket upgrade) and its response cycle
            self.cycle.transport = _ResponseTransport(self, self.cycle)
            self._in_body = True
            self._client_progress_at = self.loop.time()

    def on_message_complete(self) -> None:
        self._in_message = self._in_body = False
        self._head_open = True
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    # ---- uvicorn hooks ---------------------------------------------------------------------------

    def handle_websocket_upgrade(self) -> None:
        # The transport goes to another protocol: nothing of this one may act on it any more. It
        # stays counted for its address until it closes (connections_per_address prunes it).
        self._cancel_timers()
        self._upgraded = True
        super().handle_websocket_upgrade()

    def on_response_complete(self) -> None:
        if self._linger is not None:  # no keep-alive, no pipelined request: the connection ends
            self.server_state.total_requests += 1
            return
        super().on_response_complete()

    # ---- for _FlowControl and _ResponseTransport -------------------------------------------------

    def note_client_progress(self) -> None:
        self._client_progress_at = self.loop.time()

    def _reading_resumed(self) -> None:
        self.note_client_progress()
        if self._head_timer is not None:  # a head that could not come while reading was paused
            self._head_timer.cancel()
            self._head_timer = self.loop.call_later(self._limits.header_timeout, self._head_timed_out)

    def close_after_response(self) -> None:
        """The response just written ends the connection. A client still sending its request would
        get a reset on a plain close: it gets a lingering one."""
        if self._linger is not None or self.transport.is_closing():
            return
        if self._in_message:
            self._start_lingering()
        else:
            self.transport.close()

    # ---- internals -------------------------------------------------------------------------------

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self._linger is not None:
            return
        seconds = self._limits.header_timeout
        if self.flow.read_paused:  # a pipelined head waits for the response before it: not its fault
            self._head_timer = self.loop.call_later(seconds, self._head_timed_out)
            return
        if not self._in_message:
            # Not a byte of a request: most likely a browser's speculative preconnect. Some browsers
            # show whatever waits on such a socket when they use it, so a 408 here would reach the
            # user as an error page; a plain close makes the browser open a fresh connection (as
            # Apache and HAProxy's http-ignore-probes do).
            logger.debug("closed a connection from %s: no request in %gs", self._address, seconds)
            self.transport.close()
            return
        logger.info("closed a connection from %s: no complete request head in %gs", self._address, seconds)
        if self.cycle is not None and not self.cycle.response_complete:
            # the previous request's response is under way (pipelining): no room for another answer
            self.transport.close()
            return
        self._answer_and_close(
            408, "request_timeout", f"the request head did not arrive within {seconds:g} seconds"
        )

    def _body_check(self) -> None:
        self._body_timer = None
        if not self._in_body or self.transport.is_closing() or self._linger is not None:
            return
        now = self.loop.time()
        if self.flow.read_paused or (self.cycle is not None and self.cycle.waiting_for_100_continue):
            self._client_progress_at = now  # Duet makes the client wait: its silence does not count
        idle = now - self._client_progress_at
        timeout = self._limits.body_idle_timeout
        if idle < timeout:
            self._body_timer = self.loop.call_later(timeout - idle, self._body_check)
            return
        logger.info("closed a connection from %s: the request body stalled for %gs", self._address, timeout)
        cycle = self.cycle
        if cycle is not None and cycle.response_started:
            self.transport.close()
            return
        if cycle is not None:
            # the app waits for the rest of the body: it now hears that the client is gone, and
            # anything it still sends is dropped (as uvicorn does when a connection is lost)
            cycle.disconnected = True
            cycle.message_event.set()
        self._answer_and_close(408, "request_timeout", f"the request body stalled for {timeout:g} seconds")

    def _refuse(self) -> None:
        """The address is at its cap: 429 on the connection's first bytes, never parsed. Not before
        them: a client that gets an answer before it has written its request may fail on it (the
        websockets client does) instead of reading it."""
        cap = self._limits.per_address.cap
        logger.info("refused a connection from %s: it has %d open already", self._address, cap)
        self._answer_and_close(
            429,
            "rate_limited",
            f"too many open connections from your address (at most {cap}); close some and retry",
        )

    def _discard(self, data: bytes) -> None:
        assert self._linger is not None
        self._linger.discard(data)

    def _answer_and_close(self, status: int, code: str, message: str) -> None:
        self.transport.write(problem_response(status, code, message, self.server_state.default_headers))
        self._start_lingering()

    def _start_lingering(self) -> None:
        self._cancel_timers()
        self._unset_keepalive_if_required()
        self.pipeline.clear()  # requests queued behind this one never start
        self._linger = LingeringClose(self.transport, max_bytes=self._limits.linger_bytes, loop=self.loop)
        self.flow.resume_reading()  # reading may have been paused under a body the app left unread

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None
