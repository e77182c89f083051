"""Live-socket plumbing shared by the sync protocol and the control channel: the transport
protocols, the bounded send queue, rate limits, and the registry of open sockets that enforces
per-person quotas and closes revoked access."""
