"""``MediaDirectory``: the recorded files on disk, one directory per session under the media
directory (``DUET_MEDIA_DIR``, default ``var_dir/media``). The archives read them to export,
write them on import, and delete them with the recording (``archives.MediaFiles``).

On a cluster each node records the participants whose control sockets it serves into its own
media directory: give every node the same shared directory (docs/media.md, "Cluster")."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}-(camera|screen)-(audio|video)-[0-9]{1,16}\.webm$")
SESSION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class MediaDirectory:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _session(self, session_id: str) -> Path:
        if not SESSION.match(session_id):
            raise ValueError(f"not a session id: {session_id!r}")
        return self._root / session_id

    def read(self, session_id: str) -> dict[str, bytes]:
        directory = self._session(session_id)
        if not directory.is_dir():
            return {}
        return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if NAME.match(p.name)}

    def write(self, session_id: str, files: dict[str, bytes]) -> None:
        directory = self._session(session_id)
        for name, data in files.items():
            if not NAME.match(name):
                raise ValueError(f"not a media file name: {name!r}")
            directory.mkdir(parents=True, exist_ok=True)
            (directory / name).write_bytes(data)

    def erase(self, session_id: str) -> int:
        """Delete every recorded file of the session; how many there were."""
        directory = self._session(session_id)
        if not directory.exists():
            return 0
        count = sum(1 for _ in directory.iterdir())
        shutil.rmtree(directory)
        return count
