"""Capped, streamed output: keeps at most ``limit`` bytes of a stream and passes them on as they come."""

from __future__ import annotations

from server.exec.sandbox.model import TRUNCATION_MARKER, OutputSink, Stream, decode


class CappedOutput:
    def __init__(self, stream: Stream, limit: int, sink: OutputSink | None) -> None:
        self.stream = stream
        self.limit = limit
        self._sink = sink
        self._chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    async def feed(self, chunk: bytes) -> bool:
        """Take a chunk; False once the cap is exceeded (the run must then be stopped)."""
        if self.truncated:
            return False
        room = self.limit - self.size
        kept = chunk[:room]
        if kept:
            self._chunks.append(kept)
            self.size += len(kept)
            if self._sink is not None:
                await self._sink(self.stream, kept)
        if len(chunk) > room:
            self.truncated = True
            if self._sink is not None:
                await self._sink(self.stream, self.marker.encode())
            return False
        return True

    @property
    def marker(self) -> str:
        return TRUNCATION_MARKER.format(limit=self.limit)

    def text(self) -> str:
        text = decode(b"".join(self._chunks))
        return text + self.marker if self.truncated else text
