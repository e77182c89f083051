"""Secrets that travel in URLs, kept out of every log line.

Join links carry their token in the path (``/j/<token>``), the live sockets in the query
(``?token=...``), and a sign-in redirect carries a join link inside ``next=`` (URL-encoded once,
or more). ``redact_text`` replaces each of them with ``…`` wherever it appears in a text;
``install_log_redaction`` runs it on every log record of every logger, so neither uvicorn's
loggers, nor picows' (which logs raw upgrade requests at its debug level 9), nor an exception
message can print one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

HIDDEN = "…"

# "/" and "=", also URL-encoded once or more (%2F, %252F, ...): a join link inside next= is encoded
_SLASH = r"(?:/|%(?:25)*2F)"
_EQUALS = r"(?:=|%(?:25)*3D)"
#: what may follow a secret: the end of its path segment, parameter, quoted string or line
_VALUE = r"[^/?#&\s\"'<>]+"

_JOIN_PATH = re.compile(rf"({_SLASH}j{_SLASH}){_VALUE}", re.IGNORECASE)
_TOKEN_PARAM = re.compile(rf"(token{_EQUALS})[^&\s\"'<>]+", re.IGNORECASE)  # csrf_token= too
_NEXT_PARAM = re.compile(rf"(next{_EQUALS})([^&\s\"'<>]*)", re.IGNORECASE)
#: a cheap first look: most log lines hold none of the above
_SUSPECT = re.compile(r"token|next|j/|j%", re.IGNORECASE)


def _hide_next(match: re.Match[str]) -> str:
    """``next=`` keeps its value unless that holds a join link or a token (decoded, up to 3 times)."""
    value = match.group(2)
    for _ in range(3):
        value = unquote(value)
    if "/j/" in value or "token" in value.lower():
        return match.group(1) + HIDDEN
    return match.group(0)


def redact_text(text: str) -> str:
    """``text`` with every join-link token, ``token=`` value and telling ``next=`` value hidden."""
    if not _SUSPECT.search(text):
        return text
    text = _NEXT_PARAM.sub(_hide_next, text)
    text = _JOIN_PATH.sub(r"\1" + HIDDEN, text)
    return _TOKEN_PARAM.sub(r"\1" + HIDDEN, text)


def redact(path: str, query: str = "") -> str:
    """A request target for a log line: ``path`` and ``query`` with their secrets hidden."""
    return redact_text(f"{path}?{query}" if query else path)


class RedactSecrets(logging.Filter):
    """Hides secrets in a record's message (formatted with its args), exception text and stack;
    never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  # a bad log call: the handler reports it, as without us
            return True
        shown = redact_text(message)
        if shown != message:
            record.msg, record.args = shown, None
        if record.exc_info and not record.exc_text:
            # formatters use this text as it is (they format exc_info only when it is empty)
            record.exc_text = redact_text(self._formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


class _RedactingRecordFactory:
    def __init__(self, previous: Callable[..., logging.LogRecord]) -> None:
        self.previous = previous
        self._filter = RedactSecrets()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.previous(*args, **kwargs)
        self._filter.filter(record)
        return record


def install_log_redaction() -> Callable[[], None]:
    """Run ``RedactSecrets`` on every log record from now on; returns what undoes it (for tests).

    It runs where records are made (the log record factory) rather than as a logger's or a
    handler's filter: a logger's filters never see its children's records, and a handler's miss
    every handler added later (pytest's caplog among them). Installing twice changes nothing."""
    current = logging.getLogRecordFactory()
    if isinstance(current, _RedactingRecordFactory):
        return lambda: None
    factory = _RedactingRecordFactory(current)
    logging.setLogRecordFactory(factory)

    def uninstall() -> None:
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(current)

    return uninstall
