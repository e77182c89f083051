"""The host's end of a Docker sandbox's agent (``agent/duet-agent.c`` beside it).

Before a container is created the host listens on a unix socket in the sandbox's control
directory (mounted read-only in the container); the agent, the container's first process,
connects at start. The host accepts exactly that one connection, checks that its peer is the
container's first process, then closes the listener and removes the socket, so nothing started
later in the container can connect. Each step then goes down the connection as one message with
the program's stdin, stdout and stderr attached (SCM_RIGHTS); the agent answers with the step's
wait status once the step (and everything it left running) has ended. A connection that ends
without that answer means the container was killed.
"""

from __future__ import annotations

import array
import os
import select
import socket
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path

import anyio

from server.exec.sandbox.supervision import SandboxStartFailed

SOCKET_NAME = "agent.sock"
#: Where the control directory is mounted inside the container (read-only).
CONTROL_DIR = "/run/duet"
MAGIC = 0x44554554  # "DUET"
FLAG_TERMINAL = 1
#: The agent reads at most this much per step message (argv and environment).
MAX_MESSAGE = 64 * 1024
_HEADER = struct.Struct("=IIII")  # magic, flags, argc, envc
_STATUS = struct.Struct("=i")


class AgentListener:
    """The host's socket in a sandbox's control directory, until the agent has connected."""

    def __init__(self, directory: Path, *, uid: int, gid: int) -> None:
        """Listen at ``directory/agent.sock``, connectable by ``uid`` only."""
        self.path = directory / SOCKET_NAME
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
        try:
            # through the directory's descriptor: the real path may be longer than a unix socket
            # address may be (108 bytes), as it is under a deep DUET_VAR_DIR
            directory_fd = os.open(directory, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                self.socket.bind(f"/proc/self/fd/{directory_fd}/{SOCKET_NAME}")
            finally:
                os.close(directory_fd)
            os.chown(self.path, uid, gid)
            self.path.chmod(0o600)
            self.socket.listen(1)
            self.socket.setblocking(False)
        except BaseException:
            self.socket.close()
            raise

    def close(self) -> None:
        """Stop listening and remove the socket: nobody can connect any more."""
        self.socket.close()
        self.path.unlink(missing_ok=True)


async def accept_agent(listener: AgentListener, agent_pid: int, seconds: float) -> AgentConnection:
    """The agent's connection, once it came from ``agent_pid`` within ``seconds``. The listener
    is closed and its socket removed whatever happens: there is never a second connection."""
    connection: socket.socket | None = None
    try:
        with anyio.move_on_after(seconds):
            connection = await _accept(listener.socket)
    finally:
        listener.close()
    if connection is None:
        raise SandboxStartFailed(f"the sandbox's agent did not connect within {seconds:g} s")
    peer_pid, _, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    if peer_pid != agent_pid:
        connection.close()
        raise SandboxStartFailed(f"the agent's socket was connected by pid {peer_pid}, not the sandbox's")
    connection.setblocking(False)
    return AgentConnection(connection)


async def _accept(listener: socket.socket) -> socket.socket:
    while True:
        try:
            return listener.accept()[0]
        except BlockingIOError:
            await anyio.wait_readable(listener)


def step_message(argv: Sequence[str], env: Mapping[str, str], *, terminal: bool) -> bytes:
    """The header, then argv and ``K=V`` strings, each NUL-terminated (see the agent)."""
    if not argv:
        raise ValueError("a step needs a command")
    words = [os.fsencode(word) for word in argv]
    for key, value in env.items():
        if not key or "=" in key:
            raise ValueError(f"not an environment variable name: {key!r}")
        words.append(os.fsencode(f"{key}={value}"))
    if any(b"\0" in word for word in words):
        raise ValueError("a step's command and environment cannot contain NUL")
    header = _HEADER.pack(MAGIC, FLAG_TERMINAL if terminal else 0, len(argv), len(env))
    message = header + b"".join(word + b"\0" for word in words)
    if len(message) > MAX_MESSAGE:
        raise ValueError(f"a step's command and environment take more than {MAX_MESSAGE} bytes")
    return message


class AgentConnection:
    """One sandbox's connection to its agent (non-blocking, driven by the event loop)."""

    def __init__(self, connection: socket.socket) -> None:
        self._socket = connection

    def fileno(self) -> int:
        return self._socket.fileno()

    def idle(self) -> bool:
        """Nothing to read: the agent is alive and waiting for a step (a closed connection is
        readable)."""
        return not select.select([self._socket], [], [], 0)[0]

    def send_step(
        self, argv: Sequence[str], env: Mapping[str, str], stdio: tuple[int, int, int], *, terminal: bool
    ) -> None:
        """Hand the agent a step: its command, environment and stdin, stdout, stderr. Raises
        SandboxStartFailed if the agent is gone."""
        message = step_message(argv, env, terminal=terminal)
        fds = array.array("i", stdio).tobytes()
        try:  # a message this small always fits an idle connection's buffer: no blocking
            self._socket.sendmsg([message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        except OSError as exc:
            raise SandboxStartFailed(f"the sandbox's agent is gone: {exc}") from exc

    async def status(self) -> int | None:
        """The step's wait status, or None when the connection ended without one (the
        container was killed, a limit or Stop, or its agent died)."""
        while True:
            try:
                data = self._socket.recv(_STATUS.size)
            except BlockingIOError:
                await anyio.wait_readable(self._socket)
                continue
            except OSError:
                return None
            if len(data) != _STATUS.size:
                return None
            return int(_STATUS.unpack(data)[0])

    def close(self) -> None:
        self._socket.close()
