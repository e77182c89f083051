"""Reading the host's Debian mirrors for the rootfs build."""

from __future__ import annotations

from pathlib import Path

from server.exec.runtime.apt_sources import AptSource, apt_sources, render_sources


def test_apt_sources_reads_both_formats(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n"
        "deb https://packages.example/apt stable main\n"
    )
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm-updates\nComponents: main\n\n"
        "Types: deb deb-src\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://other.example/debian\nSuites: trixie\nEnabled: yes\n"
    )
    assert apt_sources("bookworm", tmp_path) == (
        AptSource("http://mirror.example/debian", ("bookworm",)),
        AptSource("http://mirror.example/debian", ("bookworm-updates",)),
        AptSource("http://mirror.example/debian-security", ("bookworm-security",)),
    )


def test_apt_sources_fall_back_to_debian(tmp_path: Path) -> None:
    sources = apt_sources("bookworm", tmp_path)
    assert [s.suites for s in sources] == [("bookworm", "bookworm-updates"), ("bookworm-security",)]


def test_render_sources_keeps_only_the_suite() -> None:
    text = render_sources(
        [AptSource("http://m/debian", ("bookworm", "bookworm-updates")), AptSource("http://o", ("trixie",))],
        "bookworm",
    )
    assert text == (
        "Types: deb\nURIs: http://m/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )
