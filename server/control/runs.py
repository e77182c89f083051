"""A run started from the control channel: the files as the server holds them (the live
document, never code a client sends), output streamed to everyone as it comes, stdin and Stop
from writers, the result summed up for everyone at the end."""

from __future__ import annotations

import codecs
import logging
from typing import cast

import anyio
from anyio.abc import ByteReceiveStream
from anyio.streams.memory import MemoryObjectReceiveStream

from server.control.commands import RunStart
from server.control.delivery import ControlDelivery
from server.control.events import RunFiles, RunFinished, RunOutput, RunQueued, RunStarted, RunSummary
from server.control.session import ControlMember, LocalRun, SessionChannel
from server.errors import DuetError, InvalidInput
from server.exec.executor import ExecutionRequest, Executor
from server.exec.sandbox import Stream
from server.sync.rooms import RoomRegistry

logger = logging.getLogger(__name__)


class ControlRuns:
    def __init__(
        self, executor: Executor, rooms: RoomRegistry, delivery: ControlDelivery, *, max_files_bytes: int
    ) -> None:
        """``max_files_bytes``: the most a run's files may hold (the document's own cap; the
        recorded ``run.files`` is bounded by it)."""
        self._executor = executor
        self._rooms = rooms
        self._delivery = delivery
        self._max_files_bytes = max_files_bytes

    async def run(
        self,
        channel: SessionChannel,
        member: ControlMember,
        message: RunStart,
        run: LocalRun,
        stdin: MemoryObjectReceiveStream[bytes],
    ) -> None:
        """Execute one run to its end. However it ends (a result, a refusal, a failure of
        Duet's own), everyone gets ``run.finished`` and the session may run again."""
        decoders = {s: codecs.getincrementaldecoder("utf-8")("replace") for s in ("stdout", "stderr")}

        async def on_output(stream: Stream, chunk: bytes) -> None:
            text = decoders[stream].decode(chunk)
            if text:
                event = RunOutput(run_id=run.run_id, stream=stream, data=text)
                await self._delivery.emit_output(channel, event)

        def on_position(position: int) -> None:
            self._delivery.emit(channel, RunQueued(run_id=run.run_id, position=position), record=False)

        finished = RunFinished(run_id=run.run_id)
        try:
            request, entry = await self._request(channel.session_id, message)
            # what the run got, exactly, recorded before it starts (a playback shows the code run)
            files = {path: data.decode() for path, data in request.files.items()}
            await self._delivery.record_waiting(
                channel, RunFiles(run_id=run.run_id, files=files), author=member.participant_id
            )
            started = RunStarted(
                run_id=run.run_id, by=member.name, mode=message.mode, file=entry, language=request.language
            )
            self._delivery.emit(channel, started, author=member.participant_id)
            execution = await self._executor.run(
                request,
                on_output=on_output,
                on_position=on_position,
                stdin_stream=cast(
                    ByteReceiveStream, stdin
                ),  # a stream of byte chunks, as ByteReceiveStream's
                stop=run.stop,
            )
            finished = RunFinished(run_id=run.run_id, result=RunSummary.of_execution(execution))
        except DuetError as exc:
            finished = RunFinished(run_id=run.run_id, error=exc.message)
        except Exception:  # Duet's own failure: this run ends, nothing else does
            logger.exception("a run failed", extra={"session_id": channel.session_id})
            finished = RunFinished(run_id=run.run_id, error="the run failed on the server; try again")
        finally:
            with anyio.CancelScope(shield=True):
                await run.stdin.aclose()
                await stdin.aclose()
                channel.local_run = None
                self._delivery.emit(channel, finished)

    async def _request(self, session_id: str, message: RunStart) -> tuple[ExecutionRequest, str]:
        files, meta = await self._rooms.files(session_id)
        entry = message.file or meta.get("active") or meta.get("main") or ""
        if entry not in files:
            raise InvalidInput(f"there is no file {entry!r} to run")
        language = self._executor.catalogue.get(meta.get(f"lang:{entry}", ""))
        encoded = {path: text.encode() for path, text in files.items()}
        if sum(len(path.encode()) + len(data) for path, data in encoded.items()) > self._max_files_bytes:
            raise InvalidInput("the files are larger than a document may be")
        encoded[language.source_file] = encoded[entry]  # the entry file is what the language runs
        return (
            ExecutionRequest(
                language=language.id,
                files=encoded,
                stdin=message.stdin.encode(),
                mode=message.mode,
                session_id=session_id,
            ),
            entry,
        )
