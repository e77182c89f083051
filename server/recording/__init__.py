"""The per-session append-only event log every feature writes to (playback is a query over it)."""
