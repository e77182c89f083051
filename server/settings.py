"""One frozen Settings object, built once from DUET_* environment variables.

Tests build ``Settings(...)`` directly; nothing reads the environment after start-up.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal, get_args

from server.errors import ConfigurationError

SandboxEngine = Literal["auto", "docker", "bwrap"]

_ENV_PREFIX = "DUET_"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of a Duet process. Field ``x`` is read from ``DUET_X``."""

    secret_key: str
    var_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = ""
    redis_url: str = ""
    redis_prefix: str = "duet"
    public_base_url: str = ""
    sandbox: SandboxEngine = "auto"
    # Code execution (see docs/exec.md).
    runtime_cache: str = ""  # where runtime rootfs trees live; default ~/.cache/duet/rootfs
    exec_slots: int = 0  # concurrent runs per node; 0 = one per CPU
    exec_max_wall_seconds: float = 60.0
    exec_max_cpu_seconds: float = 60.0
    exec_max_memory_mb: int = 1024
    exec_max_processes: int = 256
    exec_max_output_mb: int = 8
    exec_max_disk_mb: int = 64
    docker_pool_size: int = 2
    docker_runtime: str = "auto"  # OCI runtime for sandbox containers: auto = crun when it works
    bwrap_pool_size: int = 2  # sandboxes prepared ahead by the bubblewrap engine
    # With DUET_REDIS_URL, runs go through a Redis queue to `duet worker` processes.
    exec_queue_timeout_seconds: float = 300.0  # a run no worker takes within this is refused (503)
    exec_in_process_worker: bool = False  # `duet serve` also serves the queue itself
    # Join links, participants and logins.
    join_link_ttl_hours: int = 24 * 14
    participant_ttl_hours: float = 72.0  # a guest's (candidate's, observer's) pad access after joining
    session_max_guests: int = 50  # participants who joined through a link, per session
    login_ttl_hours: int = 24 * 7
    # Reject request bodies above this size (REST API and forms).
    max_request_bytes: int = 4 * 1024 * 1024
    max_archive_bytes: int = 64 * 1024 * 1024  # a session archive to import (POST /api/v1/session-imports)
    # The HTTP connection layer (server/web/http_protocol.py, docs/architecture.md "Requests").
    http_header_timeout_seconds: float = 10.0  # a request head must be complete this soon
    http_body_idle_seconds: float = 30.0  # a request body that sends nothing this long ends its connection
    http_keepalive_seconds: float = 5.0  # an idle keep-alive connection is closed after this
    # Open connections one peer address may hold (websockets included); 0 = no cap. Behind a
    # reverse proxy every connection comes from the proxy: set 0 and cap on the proxy.
    max_connections_per_address: int = 64
    log_level: str = "INFO"
    # Live sockets, both kinds (see docs/sync.md, docs/pad.md): per person and per session.
    live_sockets_per_participant: int = 4  # of each kind (sync, control) per participant and node
    live_sockets_per_session: int = 50  # of each kind per session and node
    live_editor_reserve: int = 10  # of those, kept for participants who may edit
    # Live sync (see docs/sync.md).
    sync_max_message_bytes: int = 2 * 1024 * 1024
    sync_max_document_bytes: int = 8 * 1024 * 1024
    sync_messages_per_second: float = 200.0
    sync_message_burst: int = 400
    sync_bytes_per_second: float = 4 * 1024 * 1024
    sync_byte_burst: int = 16 * 1024 * 1024
    sync_full_state_per_minute: float = 30.0  # sync step 1 and awareness queries, per connection
    sync_full_state_burst: int = 8
    sync_max_awareness_ids: int = 4  # Yjs client ids one connection may publish awareness for
    sync_max_awareness_state_bytes: int = 4096
    sync_send_queue_bytes: int = 16 * 1024 * 1024
    sync_room_grace_seconds: float = 30.0
    sync_keepalive_seconds: float = 20.0
    sync_snapshot_every: int = 1000
    # The control channel (run console, terminal, chat; see docs/pad.md).
    control_max_message_bytes: int = 64 * 1024
    control_messages_per_second: float = 50.0  # per connection, any message
    control_message_burst: int = 200
    control_chat_per_minute: float = 30.0  # chat and notes, per participant
    control_chat_burst: int = 10
    control_signals_per_minute: float = 120.0  # pastes, focus, visibility: per participant
    control_signal_burst: int = 30
    control_commands_per_second: float = 5.0  # runs, terminals, stop, resize: per participant
    control_command_burst: int = 20
    control_input_bytes_per_second: float = 64 * 1024  # run stdin and terminal keys, per participant
    control_input_byte_burst: int = 256 * 1024
    control_send_queue_bytes: int = 4 * 1024 * 1024
    control_keepalive_seconds: float = 25.0
    # Audio and video (docs/media.md).
    media_ice_servers: str = ""  # JSON list of {"urls", "username"?, "credential"?}: STUN/TURN
    media_dir: str = ""  # recorded WebM files, one directory per session; default var_dir/media
    media_record: bool = True  # record each participant's tracks (WebM, encoded as sent)
    media_max_streams_per_session: int = 8  # published streams (a camera, a screen share) per session
    media_max_kbps: int = 4000  # per published track: more is dropped, not forwarded nor recorded
    media_max_file_mb: int = 2048  # one recorded file stops growing past this
    media_messages_per_second: float = 20.0  # signalling messages (offers, ICE candidates) per participant
    media_message_burst: int = 100
    # The shared terminal is a run: a slot, the run limits, and these.
    terminal_cpu_seconds: float = 60.0
    terminal_output_bytes: int = 4 * 1024 * 1024
    terminal_idle_seconds: float = 10 * 60.0
    terminal_max_seconds: float = 60 * 60.0
    # What one session may add to its recording per minute, beyond document updates (chat,
    # cursors, run and terminal output): past it, chat waits and output is slowed down.
    recording_bytes_per_minute: int = 4 * 1024 * 1024
    # Cursors and selections (throttled) and who joined and left, in the recording: playback
    # shows them. Off, the log holds what the pad itself needs (document updates, the console).
    record_presence: bool = True
    # Mail (invitations), sent from the outbox over SMTP (see docs/configuration.md). No host:
    # mail stays queued, visible in the outbox, until one is set.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: str = "none"  # none | starttls | tls
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "Duet <duet@localhost>"
    mail_max_attempts: int = 8  # then the message is marked failed
    mail_retry_seconds: float = 30.0  # first retry after this, doubling, at most an hour
    # Assessment attempts.
    invitation_ttl_days: int = 14  # an invitation link's default life
    public_link_starts_per_hour: int = 60  # attempts one public link may start per hour and node
    # The event log's group commit: at least this long between two transactions.
    event_commit_interval_ms: int = 20
    # Snapshots only cover events older than this (ids are allocated before commit); keep it well
    # above the longest commit on a multi-node deployment.
    sync_snapshot_margin_seconds: float = 60.0

    def __post_init__(self) -> None:
        if len(self.secret_key) < 32:
            raise ConfigurationError("DUET_SECRET_KEY must be at least 32 characters")
        if self.sandbox not in get_args(SandboxEngine):
            raise ConfigurationError(f"DUET_SANDBOX must be one of {', '.join(get_args(SandboxEngine))}")
        if not 0 < self.port < 65536:
            raise ConfigurationError("DUET_PORT must be a TCP port number")
        for name in ("http_header_timeout_seconds", "http_body_idle_seconds", "http_keepalive_seconds"):
            if not getattr(self, name) > 0:
                raise ConfigurationError(f"DUET_{name.upper()} must be more than 0")
        if self.smtp_security not in {"none", "starttls", "tls"}:
            raise ConfigurationError("DUET_SMTP_SECURITY must be none, starttls or tls")
        _check_ice_servers(self.media_ice_servers)
        if self.max_connections_per_address < 0:
            raise ConfigurationError("DUET_MAX_CONNECTIONS_PER_ADDRESS must be 0 (no cap) or more")

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file under ``var_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'duet.db').resolve()}"

    @property
    def effective_runtime_cache(self) -> Path:
        return Path(self.runtime_cache) if self.runtime_cache else Path.home() / ".cache" / "duet" / "rootfs"

    @property
    def effective_exec_slots(self) -> int:
        return self.exec_slots if self.exec_slots > 0 else (os.cpu_count() or 1)

    @property
    def effective_base_url(self) -> str:
        """Where browsers reach this server; used to build join links."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def secure_cookies(self) -> bool:
        return self.effective_base_url.startswith("https://")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``DUET_*`` variables; create and keep a secret key when none is set."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name == "secret_key":
                continue
            raw = env.get(_ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.name, raw, f.type)
        var_dir = Path(str(values.get("var_dir", "var")))
        secret = env.get("DUET_SECRET_KEY") or load_or_create_secret(var_dir)
        return cls(secret_key=secret, **values)  # type: ignore[arg-type]


def _convert(name: str, raw: str, annotation: object) -> object:
    kind = str(annotation)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if kind == "Path":
            return Path(raw)
    except ValueError as exc:
        raise ConfigurationError(f"DUET_{name.upper()}={raw!r} is not a valid {kind}") from exc
    return raw


def _check_ice_servers(raw: str) -> None:
    """``DUET_MEDIA_ICE_SERVERS``: empty, or a JSON list of objects with ``urls`` (a string or a
    list of them) and, for TURN, ``username`` and ``credential``."""
    if not raw:
        return
    why = "DUET_MEDIA_ICE_SERVERS must be a JSON list of {urls, username?, credential?}"
    try:
        servers = json.loads(raw)
    except ValueError as exc:
        raise ConfigurationError(why) from exc
    if not isinstance(servers, list):
        raise ConfigurationError(why)
    for server in servers:
        if not isinstance(server, dict) or set(server) - {"urls", "username", "credential"}:
            raise ConfigurationError(why)
        urls = server.get("urls")
        urls = [urls] if isinstance(urls, str) else urls
        if (
            not isinstance(urls, list)
            or not urls
            or not all(
                isinstance(u, str) and u.split(":", 1)[0] in {"stun", "stuns", "turn", "turns"} for u in urls
            )
        ):
            raise ConfigurationError(why + ": urls are stun:, stuns:, turn: or turns: URLs")
        for key in ("username", "credential"):
            if key in server and not isinstance(server[key], str):
                raise ConfigurationError(why)


def load_or_create_secret(var_dir: Path) -> str:
    """Read ``var_dir/secret_key``, creating it (mode 0600) with 256 random bits on first run."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret
