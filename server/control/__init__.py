"""The session's control channel: the shared run console, the terminal and chat, for every
participant on every node, filtered by role on the server."""
