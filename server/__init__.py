"""Duet: a self-hosted technical-interview server."""

__version__ = "0.1.0"
