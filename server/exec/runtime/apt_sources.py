"""Which Debian mirrors the runtime rootfs is built from: the host's own apt configuration."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SECURITY_MIRROR = "http://deb.debian.org/debian-security"
_OPTIONS = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True, slots=True)
class AptSource:
    uri: str
    suites: tuple[str, ...]


def apt_sources(suite: str, etc_apt: Path = Path("/etc/apt")) -> tuple[AptSource, ...]:
    """The host's Debian mirrors for ``suite`` and its -updates/-security (one-line and deb822)."""
    found: list[AptSource] = []
    one_line = [etc_apt / "sources.list", *sorted((etc_apt / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            parts = _OPTIONS.sub(" ", line.split("#", 1)[0]).split()
            if len(parts) >= 3 and parts[0] == "deb":
                found.append(AptSource(parts[1], (parts[2],)))
    for path in sorted((etc_apt / "sources.list.d").glob("*.sources")):
        for stanza in path.read_text().split("\n\n"):
            fields = _deb822(stanza)
            if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes") != "no":
                for uri in fields.get("uris", "").split():
                    found.append(AptSource(uri, tuple(fields.get("suites", "").split())))
    debian = [
        AptSource(s.uri, tuple(x for x in s.suites if x.startswith(suite)))
        for s in found
        if "debian" in s.uri and any(x.startswith(suite) for x in s.suites)
    ]
    if not any(suite in s.suites for s in debian):
        debian.insert(0, AptSource(DEFAULT_MIRROR, (suite, f"{suite}-updates")))
    if not any(f"{suite}-security" in s.suites for s in debian):
        debian.append(AptSource(DEFAULT_SECURITY_MIRROR, (f"{suite}-security",)))
    return tuple(debian)


def _deb822(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    last = ""
    for line in stanza.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace() and last:
            fields[last] += " " + line.strip()
        elif ":" in line:
            name, _, value = line.partition(":")
            last = name.strip().lower()
            fields[last] = value.strip()
    return fields


def render_sources(sources: Sequence[AptSource], suite: str) -> str:
    """A deb822 sources file for the rootfs (the Debian archive key ships with debootstrap)."""
    stanzas = [
        f"Types: deb\nURIs: {s.uri}\nSuites: {' '.join(s.suites)}\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        for s in sources
        if s.suites and all(x.startswith(suite) for x in s.suites)
    ]
    return "\n".join(stanzas)
