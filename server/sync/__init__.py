"""Live editing: the y-websocket protocol on pycrdt, rooms, persistence and cross-node fan-out."""
