"""The content hash of a folder of files: a challenge version is named by it, so importing the
same content twice makes no new version and any edit makes one."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


def content_hash(files: Mapping[str, bytes]) -> str:
    """SHA-256 over every (path, content) in path order, lengths included (no two different
    folders hash alike by moving bytes between a name and a content)."""
    digest = hashlib.sha256()
    for path in sorted(files):
        name = path.encode()
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(len(files[path]).to_bytes(8, "big") + files[path])
    return digest.hexdigest()
