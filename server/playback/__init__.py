"""Playback of a recorded session: seek points, the timeline, the state at a moment, the events
of a stretch of time (docs/playback.md). Reads the event log and the seek points through
``PlaybackStore`` (``server.store.playback_repository`` implements it); the documents are pycrdt's."""
