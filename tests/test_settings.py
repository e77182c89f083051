from __future__ import annotations

from pathlib import Path

import pytest

from server.errors import ConfigurationError
from server.media.hub import ice_servers
from server.settings import Settings, load_or_create_secret


def test_from_environ_reads_duet_variables(tmp_path: Path) -> None:
    settings = Settings.from_environ(
        {
            "DUET_VAR_DIR": str(tmp_path),
            "DUET_HOST": "0.0.0.0",
            "DUET_PORT": "9000",
            "DUET_DATABASE_URL": "postgresql://db/duet",
            "DUET_REDIS_URL": "redis://r:6379/0",
            "DUET_SANDBOX": "bwrap",
            "DUET_PUBLIC_BASE_URL": "https://duet.example.com/",
            "UNRELATED": "x",
        }
    )
    assert settings.port == 9000 and settings.host == "0.0.0.0" and settings.sandbox == "bwrap"
    assert settings.effective_database_url == "postgresql://db/duet"
    assert settings.effective_base_url == "https://duet.example.com"
    assert settings.secure_cookies
    assert (tmp_path / "secret_key").exists()


def test_defaults_are_embedded_sqlite_under_var(tmp_path: Path) -> None:
    settings = Settings(secret_key="k" * 40, var_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{(tmp_path / 'duet.db').resolve()}"
    assert settings.effective_base_url == "http://127.0.0.1:8000"
    assert not settings.secure_cookies and settings.redis_url == ""


def test_secret_is_created_once_and_reused(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path / "var")
    assert first == load_or_create_secret(tmp_path / "var")
    assert len(first) >= 43


@pytest.mark.parametrize(
    "environ",
    [
        {"DUET_PORT": "eighty"},
        {"DUET_PORT": "70000"},
        {"DUET_SANDBOX": "chroot"},
        {"DUET_SECRET_KEY": "short"},
        {"DUET_HTTP_HEADER_TIMEOUT_SECONDS": "0"},
        {"DUET_HTTP_BODY_IDLE_SECONDS": "-1"},
        {"DUET_HTTP_KEEPALIVE_SECONDS": "soon"},
        {"DUET_MAX_CONNECTIONS_PER_ADDRESS": "-1"},
        {"DUET_MEDIA_ICE_SERVERS": "stun:stun.example.org"},
        {"DUET_MEDIA_ICE_SERVERS": '{"urls": "stun:stun.example.org"}'},
        {"DUET_MEDIA_ICE_SERVERS": '[{"urls": "http://example.org"}]'},
        {"DUET_MEDIA_ICE_SERVERS": '[{"urls": "turn:t.example.org", "password": "x"}]'},
        {"DUET_MEDIA_ICE_SERVERS": '[{"urls": "turn:t.example.org", "credential": 7}]'},
    ],
)
def test_bad_values_are_clear_errors(tmp_path: Path, environ: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="DUET_"):
        Settings.from_environ({"DUET_VAR_DIR": str(tmp_path), **environ})


def test_ice_servers_reach_the_browser_as_given(tmp_path: Path) -> None:
    raw = (
        '[{"urls": "stun:s.example.org:3478"},'
        ' {"urls": ["turn:t.example.org"], "username": "u", "credential": "p"}]'
    )
    settings = Settings.from_environ({"DUET_VAR_DIR": str(tmp_path), "DUET_MEDIA_ICE_SERVERS": raw})
    servers = ice_servers(settings)
    assert [s.urls for s in servers] == [["stun:s.example.org:3478"], ["turn:t.example.org"]]
    assert (servers[1].username, servers[1].credential) == ("u", "p")
