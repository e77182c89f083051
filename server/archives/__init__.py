"""Finished sessions\x27 recordings leaving and entering Duet: export, import, erasure."""
