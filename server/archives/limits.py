"""The bounds an imported archive must keep (on top of DUET_MAX_REQUEST_BYTES for its size)."""

from __future__ import annotations

#: Entries in the zip: the manifest, the events, the seek snapshots, and the recorded media files.
MAX_ENTRIES = 3 + 256
#: What every entry holds together, uncompressed (a zip bomb stops here, while it inflates).
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
#: The manifest alone.
MAX_MANIFEST_BYTES = 256 * 1024
MAX_EVENTS = 250_000
MAX_PARTICIPANTS = 200
MAX_SEEK_SNAPSHOTS = 10_000
#: One event's payload, decoded.
MAX_EVENT_BYTES = 4 * 1024 * 1024
