"""What an update does to the files is recorded as facts (created, renamed, language, deleted),
by the node that accepted the update, with its author; typing records none of them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pycrdt import Doc, Map, Text

from server.recording.events import EventKind
from server.sessions.roles import Role
from server.settings import Settings
from server.sync.file_changes import MAX_NAME, FileWatch
from tests.support.live_app import live_app
from tests.support.provisioning import provision
from tests.support.yclient import yclient

pytestmark = pytest.mark.anyio

FILE_KINDS = [EventKind.FILE_CREATED, EventKind.FILE_DELETED, EventKind.FILE_RENAMED, EventKind.FILE_LANGUAGE]


def create(doc: Doc[Any], path: str, language: str) -> None:
    doc.get("files", type=Map)[path] = Text("")
    doc.get("meta", type=Map)[f"lang:{path}"] = language


def rename(doc: Doc[Any], old: str, new: str) -> None:
    """As the pad does it (web-src/pad/files.ts): the text copied under the new name, in one go."""
    files: Map[Text] = doc.get("files", type=Map)
    meta: Map[str] = doc.get("meta", type=Map)
    files[new] = Text(str(files[old]))
    meta[f"lang:{new}"] = meta[f"lang:{old}"]
    del files[old]
    del meta[f"lang:{old}"]


def test_the_watch_tells_creations_renames_languages_and_deletions_apart() -> None:
    author, server = Doc[Any](), Doc[Any]()
    watch = FileWatch(server)

    def sent(change: Any) -> list[tuple[str, dict[str, Any]]]:
        before = author.get_state()
        with author.transaction():
            change(author)
        watch.clear()
        server.apply_update(author.get_update(before))
        return [(c.kind, c.data) for c in watch.take()]

    assert sent(lambda d: create(d, "main.py", "python")) == [
        (EventKind.FILE_CREATED, {"path": "main.py", "language": "python"})
    ]
    assert sent(lambda d: d.get("files", type=Map)["main.py"].insert(0, "print(1)\n")) == []
    assert sent(lambda d: rename(d, "main.py", "app.py")) == [
        (EventKind.FILE_RENAMED, {"from": "main.py", "to": "app.py"})
    ]
    assert sent(lambda d: d.get("meta", type=Map).__setitem__("lang:app.py", "ruby")) == [
        (EventKind.FILE_LANGUAGE, {"path": "app.py", "language": "ruby"})
    ]
    assert sent(lambda d: d.get("meta", type=Map).__setitem__("active", "app.py")) == []
    assert sent(lambda d: d.get("files", type=Map).__delitem__("app.py")) == [
        (EventKind.FILE_DELETED, {"path": "app.py"})
    ]
    long = "x" * (MAX_NAME + 100)
    [(kind, data)] = sent(lambda d: create(d, long, "python"))
    assert kind == EventKind.FILE_CREATED and data["path"] == "x" * MAX_NAME


async def test_file_changes_are_recorded_with_their_author(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, cy=Role.CANDIDATE)
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("ada"), "ada") as ada, yclient(url("cy"), "cy") as cy:
            await ada.wait_for(lambda: "main.py" in ada.files, "the seeded document")
            await cy.wait_ack(await cy.edit(lambda d: create(d, "util.py", "python")))
            await cy.wait_ack(await cy.insert("util.py", 0, "def f(): pass\n"))
            await ada.wait_for_text("util.py", lambda text: text.startswith("def f"))
            await ada.wait_ack(await ada.edit(lambda d: rename(d, "util.py", "helpers.py")))
            await ada.wait_ack(
                await ada.edit(lambda d: d.get("meta", type=Map).__setitem__("lang:helpers.py", "ruby"))
            )
            await cy.wait_for(lambda: "helpers.py" in cy.files, "the rename")
            await cy.wait_ack(await cy.edit(lambda d: d.get("files", type=Map).__delitem__("helpers.py")))
        await app.services.events.flush()
        events = await app.services.recording.read(people.session_id, kinds=FILE_KINDS)
        joins = await app.services.recording.read(people.session_id, kinds=[EventKind.JOIN])
    ids = {json.loads(e.data)["name"]: e.author for e in joins}
    assert [(e.kind, e.author, json.loads(e.data)) for e in events] == [
        (EventKind.FILE_CREATED, ids["cy"], {"path": "util.py", "language": "python"}),
        (EventKind.FILE_RENAMED, ids["ada"], {"from": "util.py", "to": "helpers.py"}),
        (EventKind.FILE_LANGUAGE, ids["ada"], {"path": "helpers.py", "language": "ruby"}),
        (EventKind.FILE_DELETED, ids["cy"], {"path": "helpers.py"}),
    ]
