"""Each participant's tracks recorded into WebM as they were sent (VP8, Opus), stamped on the
session clock, referenced by ``media.segment`` events, exported with the archive and deleted
with the recording."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import anyio
import av
import pytest

from server.media.hub import media_root
from server.recording.events import EventKind, now_ms
from server.sessions.roles import Role
from server.settings import Settings
from tests.support.live_app import live_app
from tests.support.media_peer import events_url, media_peer, publish
from tests.support.provisioning import provision

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def probe(path: Path) -> tuple[str, float, int]:
    """(codec, duration in seconds, frames decoded) of a one-stream WebM file."""
    with av.open(str(path)) as container:
        stream = container.streams[0]
        assert container.duration is not None
        decoded = sum(1 for _ in container.decode(stream))
        return stream.codec_context.name, container.duration / 1_000_000, decoded


async def test_tracks_are_recorded_exported_and_erased(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        svc = app.services
        async with (
            media_peer(events_url(app, people, "ada")) as ada,
            media_peer(events_url(app, people, "bob")) as bob,
        ):
            published_at = now_ms()
            await publish(ada)
            await publish(bob)
            ada_id = ada.control.events[0]["you"]["participant"]
            await bob.frames_from(ada_id, "video", 60)  # two seconds of video went through
            ended_at = now_ms()
            await svc.end_session(people.session_id, org_id=people.org_id)
            with anyio.fail_after(20):
                await svc.media.settled(people.session_id)
        events = [e for e in await svc.recording.read(people.session_id) if e.kind == EventKind.MEDIA_SEGMENT]
        segments = [json.loads(e.data) for e in events]
        assert sorted((s["stream"], s["kind"]) for s in segments) == sorted(
            [("camera", "audio"), ("camera", "video")] * 2
        )
        directory = media_root(settings) / people.session_id
        for event, segment in zip(events, segments, strict=True):
            assert event.author == segment["participant_id"]
            assert published_at <= segment["start_ms"] <= ended_at
            codec, duration, decoded = probe(directory / segment["file"])
            assert codec == segment["codec"] == ("vp8" if segment["kind"] == "video" else "opus")
            assert decoded >= segment["frames"] * 0.9  # every recorded frame is a valid one
            # the file lasts as long as the track was recorded, from its start on the session clock
            assert abs(duration - (segment["end_ms"] - segment["start_ms"]) / 1000) < 1.0
            assert abs(segment["end_ms"] - ended_at) < 1000 + (now_ms() - ended_at)
            assert str(segment["start_ms"]) in segment["file"]

        principal, _ = await svc.accounts.login("ada@example.com", "long enough password")
        session = await svc.sessions.get(people.session_id, org_id=people.org_id)
        archive = await svc.archives.export(principal, session, await svc.sessions.participants(session))
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            manifest = json.loads(z.read("manifest.json"))
            assert sorted(m["file"] for m in manifest["media"]) == sorted(
                f"media/{s['file']}" for s in segments
            )
            for segment in segments:
                assert z.read(f"media/{segment['file']}") == (directory / segment["file"]).read_bytes()

        await svc.eraser.erase(principal, session)
        assert not directory.exists()
