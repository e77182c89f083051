"""Duet's report guard: the first process of every test run, and the only one the run's key reaches.

Usage: python3 -I -S guard.py [--reporter-key] -- ARGV...

1. It makes itself non-dumpable (its memory, descriptors and environment are then closed to
   every other process of the sandbox's uid) and a child subreaper (every process the tests
   leave behind becomes its child), then reads the run's key, the first line of its stdin (64
   hex digits), before anything else of the run exists. The rest of stdin is the tests' stdin.
2. It starts ARGV (the framework) with posix_spawn. With ``--reporter-key`` it hands the
   in-process reporter a key derived from the run's key on fd 3 (a pipe, read once); the run's
   key itself never leaves this process.
3. When the framework has exited, it lists every process still there (alive or a zombie:
   ``/proc``, this sandbox's pid namespace), kills them all and reaps them. Only then, with
   nothing else left that could write, it reads the regular files in /results and writes
   ``/results/duet-seal.json``: the framework's exit status, the processes that outlived it and
   each file's SHA-256, with an HMAC-SHA256 of all that under the run's key. The host checks it.
4. It exits as the framework did (same code, or the same signal), so the run's status is the
   framework's.
"""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import os
import stat
import sys

# Only what is cheap to import: this runs before every test run (json, signal, contextlib and
# typing would double its start-up).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

RESULTS = "/results"
SEAL = "duet-seal.json"
KEY_LINE = 65  # 64 hex digits and a newline
REPORTER_KEY_FD = 3
REPORTER_KEY_LABEL = b"duet in-process reporter"
MAX_FILE = 4 * 1024 * 1024
MAX_EVIDENCE = 50
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
# x86-64 signal numbers (the signal module imports enum)
SIGKILL = 9
SIGPIPE = 13
SIGXFSZ = 25


def fail(message: str) -> NoReturn:
    sys.stderr.write(f"duet guard: {message}\n")
    sys.stderr.flush()
    os._exit(3)


def read_key() -> bytes:
    line = b""
    while len(line) < KEY_LINE:
        chunk = os.read(0, KEY_LINE - len(line))
        if not chunk:
            break
        line += chunk
    text = line.decode("ascii", "replace")
    if len(line) != KEY_LINE or not text.endswith("\n"):
        fail("the run's key was not given")
    try:
        key = bytes.fromhex(text[:-1])
    except ValueError:
        fail("the run's key was not given")
    if len(key) != 32:
        fail("the run's key was not given")
    return key


def describe(pid: int) -> str:
    """``pid (name) state`` from /proc, or just the pid when it is already gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read().decode("utf-8", "replace")
    except OSError:
        return str(pid)
    name = raw[raw.find("(") + 1 : raw.rfind(")")]
    state = raw[raw.rfind(")") + 2 : raw.rfind(")") + 3]
    kind = "a zombie" if state == "Z" else "running" if state in "RS" else f"state {state}"
    return f"pid {pid} ({name}, {kind})"


def others() -> list[int]:
    mine = os.getpid()
    pids: list[int] = []
    for entry in os.listdir("/proc"):  # noqa: PTH208 (no pathlib: fast start)
        if entry.isdigit() and int(entry) not in (1, mine):
            pids.append(int(entry))
    return sorted(pids)


def end_the_rest() -> list[str]:
    """Everything but this process and the sandbox's pid 1 is left over: describe, kill, reap."""
    outlived = [f"{describe(pid)} was still there when the tests' process ended" for pid in others()]
    while True:
        # Every process this uid may signal but this one and pid 1, again after each one reaped
        # (the kernel refuses a fork to a process with SIGKILL pending, and the pids limit holds).
        try:  # noqa: SIM105 (contextlib costs an import)
            os.kill(-1, SIGKILL)
        except ProcessLookupError:  # ESRCH: nobody else is there
            pass
        try:
            pid, _ = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        note = f"pid {pid} was still there when the tests' process ended"
        if not any(line.startswith(f"pid {pid} ") for line in outlived):
            outlived.append(note)
    left = others()  # not our descendants yet alive: cannot happen with a subreaper, say so if it does
    for pid in left:
        outlived.append(f"{describe(pid)} could not be ended")
    return outlived[:MAX_EVIDENCE]


def digests() -> dict[str, str]:
    files: dict[str, str] = {}
    directory = os.open(RESULTS, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in sorted(os.listdir(directory)):  # noqa: PTH208 (a directory fd)
            if name == SEAL:
                os.unlink(name, dir_fd=directory)  # planted by the program: never ours
                continue
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=directory)
            except OSError:
                continue
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    continue
                digest = hashlib.sha256()
                while True:
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        break
                    digest.update(chunk)
                files[name] = digest.hexdigest()
            finally:
                os.close(fd)
    finally:
        os.close(directory)
    return files


def quote(text: str) -> str:
    """A JSON string (the json module costs more to import than the whole guard runs)."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char < " " or char > "~":
            code = ord(char)
            if code > 0xFFFF:  # outside the BMP: a surrogate pair
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def number_or_null(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def seal(key: bytes, status: int, outlived: list[str]) -> None:
    exit_code = os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None
    number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    files = ",".join(f"{quote(name)}:{quote(digest)}" for name, digest in sorted(digests().items()))
    text = (
        f'{{"exit_code":{number_or_null(exit_code)},"files":{{{files}}},'
        f'"outlived":[{",".join(quote(line) for line in outlived)}],'
        f'"signal":{number_or_null(number)},"v":1}}'
    )
    mac = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    fd = os.open(f"{RESULTS}/{SEAL}", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, f'{{"body":{quote(text)},"mac":{quote(mac)}}}'.encode())
    finally:
        os.close(fd)


def spawn(argv: list[str], reporter_key: bytes | None) -> int:
    actions: list[Any] = []
    if reporter_key is not None:
        read_end, write_end = os.pipe()
        os.write(write_end, reporter_key.hex().encode() + b"\n")
        os.close(write_end)
        actions.append((os.POSIX_SPAWN_DUP2, read_end, REPORTER_KEY_FD))
    # Python ignores SIGPIPE and SIGXFSZ; an ignored signal stays ignored across exec: the
    # framework gets the defaults, as without the guard.
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions, setsigdef=(SIGPIPE, SIGXFSZ))
    if reporter_key is not None:
        os.close(read_end)
    return pid


def main() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 or libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        fail("cannot protect itself (prctl)")
    args = sys.argv[1:]
    with_reporter_key = bool(args) and args[0] == "--reporter-key"
    if with_reporter_key:
        args = args[1:]
    if not args or args[0] != "--" or len(args) < 2:
        fail("usage: guard.py [--reporter-key] -- ARGV...")
    argv = args[1:]
    key = read_key()
    reporter_key = hmac.new(key, REPORTER_KEY_LABEL, hashlib.sha256).digest() if with_reporter_key else None
    try:
        child = spawn(argv, reporter_key)
    except OSError as exc:
        fail(f"cannot start {argv[0]}: {exc}")
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        if pid == child:
            break  # other pids reaped here ended while the tests ran: their parent had gone
    outlived = end_the_rest()
    seal(key, status, outlived)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.WIFSIGNALED(status):
        import signal  # only now: it costs more to import than the rest

        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


if __name__ == "__main__":
    main()
