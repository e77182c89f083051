"""How many open connections each peer address holds, so one address cannot take them all.

The count is of live transports, not of protocol objects: a websocket upgrade hands the transport
to another protocol (picows, or uvicorn's websocket implementation; ``server/web/ws/routes.py``),
so the HTTP protocol's ``connection_lost`` never runs for those connections. Instead, an address's
transports that are closing (``transport.is_closing()``, true from the moment either side closes
until the end) are pruned whenever that address is checked. The HTTP protocol still releases
its transport at once when it sees the connection end (the common case), and every address is
swept now and then, so the table does not keep addresses that never come back.

The address is the TCP peer's. Behind a reverse proxy every connection comes from the proxy:
there the cap must be 0 (no cap) or be set on the proxy instead.
"""

from __future__ import annotations

import asyncio

#: Sweep every address once the table has grown to twice its size after the last sweep (and at
#: least this big): the work is spread over the admissions that grew it.
_FIRST_SWEEP = 256


def peer_address(transport: asyncio.BaseTransport) -> str | None:
    """The peer's IP address; None for a peer without one (a unix socket)."""
    peer = transport.get_extra_info("peername")
    if isinstance(peer, tuple | list) and peer and isinstance(peer[0], str):
        return peer[0]
    return None


class ConnectionsPerAddress:
    """Admits a new transport unless its peer address already holds ``cap`` live ones (0: no cap)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._open: dict[str, set[asyncio.BaseTransport]] = {}
        self._sweep_at = _FIRST_SWEEP

    def admit(self, address: str | None, transport: asyncio.BaseTransport) -> bool:
        """Count ``transport`` (from ``address``, see ``peer_address``) and say True, or say False
        (and count nothing) when that address is at the cap."""
        if self.cap == 0 or address is None:
            return True
        live = self._prune(address)
        if live is None:
            if len(self._open) >= self._sweep_at:
                self._sweep()
            live = self._open[address] = set()
        elif len(live) >= self.cap:
            return False
        live.add(transport)
        return True

    def release(self, address: str | None, transport: asyncio.BaseTransport) -> None:
        """``transport`` has ended (when a protocol sees it end; pruning covers the others)."""
        if address is None or address not in self._open:
            return
        live = self._open[address]
        live.discard(transport)
        if not live:
            del self._open[address]

    def count(self, address: str) -> int:
        """Live connections of ``address`` now."""
        live = self._prune(address)
        return 0 if live is None else len(live)

    def addresses(self) -> int:
        """Addresses in the table (those with live connections, and some not pruned yet)."""
        return len(self._open)

    def _prune(self, address: str) -> set[asyncio.BaseTransport] | None:
        live = self._open.get(address)
        if live is None:
            return None
        closing = [t for t in live if t.is_closing()]
        live.difference_update(closing)
        if not live:
            del self._open[address]
            return None
        return live

    def _sweep(self) -> None:
        for address in list(self._open):
            self._prune(address)
        self._sweep_at = max(_FIRST_SWEEP, 2 * len(self._open))
