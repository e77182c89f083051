"""Build the ONE runtime root file system: bookworm + every language's packages + harness files.

Two layers, each cached by a content hash in a directory outside the git checkout:

- ``base-<hash>``: debootstrap (minbase) plus the union of the catalogue's Debian packages, without
  recommends, docs, man pages or locales; ``hash`` covers the suite and the package list. This is
  the slow part (minutes) and only changes when a language's packages change.
- ``<hash>``: a hard-link copy of the base plus the harness support files under
  ``/opt/duet/harness``, the Docker sandbox's agent
  (``server/exec/engines/docker/agent/duet-agent.c``, compiled with the tree's own gcc into
  ``/opt/duet/duet-agent``), the ``runner`` user and a manifest
  (``.duet-rootfs.json``) with the package list, the language versions and the size; ``hash``
  also covers the harness files and the agent's source, so editing either costs seconds, not a
  rebuild.

Both are built in a temporary directory renamed into place at the end, under an exclusive lock,
so a concurrent build waits and then reuses the result. Needs root (debootstrap, chroot).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from server.errors import ConfigurationError, DuetError
from server.exec.runtime.apt_sources import AptSource, apt_sources, render_sources
from server.exec.runtime.languages import HARNESS_DIR, LanguageCatalogue, harness_files, load_catalogue

logger = logging.getLogger(__name__)

SUITE = "bookworm"
#: Bump when the package layer's recipe changes in a way that changes the result.
RECIPE_VERSION = 2
#: Bump when the runtime layer's recipe (user, host files, mount points, the agent) changes.
LAYER_RECIPE_VERSION = 3
#: The uid and gid every sandboxed program runs as: ids no host user, group or container has, so
#: nothing keyed by uid (files, signals, ptrace, /proc, keyrings, quotas, shared memory) is shared
#: with a host account if code ever got out of its namespaces. Linux ids are 32 bits, but:
#: 0-999 are system users, 1000-60000 people (login.defs), 60001-60513 systemd-homed,
#: 61184-65519 systemd's DynamicUser=, 65534/65535 nobody and 16-bit -1, 100000-600100000
#: /etc/subuid and /etc/subgid ranges (login.defs SUB_UID_MIN/MAX: rootless Podman and Docker,
#: userns-remap), 524288-1879048191 systemd's container ranges (nspawn --private-users),
#: 200000-2000200000 sssd's default id mapping of directory users, 2147352576-2147418111 systemd's
#: foreign-uid range, and 2^31 and above breaks software that keeps ids signed. 2100000000 lies
#: beyond all of these and below 2^31. A host may still have allocated it by hand: every engine
#: start verifies it is nobody's here (``server.exec.runtime.host_ids``) and runs no code if it is.
#: Changing either changes the rootfs key (a new runtime tree and Docker image).
RUNNER_UID = 2_100_000_000
RUNNER_GID = 2_100_000_000
RUNNER_USER = "runner"
MANIFEST = ".duet-rootfs.json"
BASE_MANIFEST = ".duet-base.json"
CACHE_ENV = "DUET_RUNTIME_CACHE"
#: The Docker sandbox's first process, kept with the engine that speaks its protocol
#: (``server.exec.engines.docker.agent_channel``): its source under ``server/exec``; the runtime
#: compiles it (a path, not an import: the runtime does not depend on the engines).
AGENT_SOURCE_IN_PACKAGE = ("engines", "docker", "agent", "duet-agent.c")
#: The agent in the rootfs, and its source there.
AGENT_BINARY = "/opt/duet/duet-agent"
AGENT_SOURCE = "/opt/duet/src/duet-agent.c"
AGENT_CFLAGS = ("-O2", "-Wall", "-Wextra", "-Werror")

#: dpkg never unpacks these (copyright files are kept for licence compliance).
DPKG_NODOC = """\
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
path-exclude=/usr/share/linda/*
"""
_APT_CONF = """\
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
"""
_CHROOT_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "DEBIAN_FRONTEND": "noninteractive",
    "LANG": "C.UTF-8",
    "HOME": "/root",
}


class RootfsBuildError(DuetError):
    code = "rootfs_build_failed"


@dataclass(frozen=True, slots=True)
class RuntimeRootfs:
    """A built runtime root file system."""

    path: Path
    key: str
    packages: tuple[str, ...]
    versions: Mapping[str, str]
    size_bytes: int
    #: Seconds spent building now; 0.0 when the cached tree was reused.
    build_seconds: float


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """``$DUET_RUNTIME_CACHE`` or ``~/.cache/duet/rootfs`` (shared by every clone on the machine)."""
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV])
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME", "/root")) / ".cache")
    return Path(base) / "duet" / "rootfs"


def agent_source() -> bytes:
    return resources.files("server.exec").joinpath(*AGENT_SOURCE_IN_PACKAGE).read_bytes()


def base_key(packages: Sequence[str]) -> str:
    """Content hash of the package layer."""
    payload = {"recipe": RECIPE_VERSION, "suite": SUITE, "packages": sorted(packages)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def rootfs_key(packages: Sequence[str], harness: Mapping[str, bytes], agent: bytes | None = None) -> str:
    """Content hash of the whole runtime: the package layer, the harness files, the agent's source
    (the shipped one unless given) and the user."""
    digest = hashlib.sha256(base_key(packages).encode())
    digest.update(f"layer:{LAYER_RECIPE_VERSION}:runner:{RUNNER_UID}:{RUNNER_GID}".encode())
    digest.update(b"\0agent\0" + hashlib.sha256(agent_source() if agent is None else agent).digest())
    for name in sorted(harness):
        digest.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(harness[name]).digest())
    return digest.hexdigest()[:20]


def expected_rootfs_path(cache_dir: Path, catalogue: LanguageCatalogue | None = None) -> Path:
    """Where the rootfs for the current catalogue and harness files lives (built or not)."""
    catalogue = catalogue or load_catalogue()
    return cache_dir / rootfs_key(catalogue.packages(), harness_files())


def find_rootfs(cache_dir: Path, catalogue: LanguageCatalogue | None = None) -> RuntimeRootfs | None:
    """The already-built rootfs for the current catalogue, or None."""
    path = expected_rootfs_path(cache_dir, catalogue)
    return _read_manifest(path, build_seconds=0.0)


def build_rootfs(
    cache_dir: Path,
    *,
    catalogue: LanguageCatalogue | None = None,
    sources: Sequence[AptSource] | None = None,
) -> RuntimeRootfs:
    """Build (or reuse) the runtime rootfs for ``catalogue`` in ``cache_dir`` and describe it."""
    catalogue = catalogue or load_catalogue()
    harness = harness_files()
    packages = catalogue.packages()
    key = rootfs_key(packages, harness)
    target = cache_dir / key
    cache_dir.mkdir(parents=True, exist_ok=True)
    found = _read_manifest(target, build_seconds=0.0)
    if found is not None:
        return found
    started = time.monotonic()
    with _exclusive_lock(cache_dir / f".lock-{key}"):
        found = _read_manifest(target, build_seconds=0.0)
        if found is not None:
            return found
        base = _build_base(cache_dir, packages, sources or apt_sources(SUITE))
        _build_final(base, target, key, packages, harness, catalogue)
    result = _read_manifest(target, build_seconds=time.monotonic() - started)
    if result is None:
        raise RootfsBuildError(f"the rootfs at {target} has no manifest after its build")
    logger.info(
        "runtime rootfs %s built in %.0fs (%s MiB)", target, result.build_seconds, result.size_bytes >> 20
    )
    return result


def prune_rootfs(cache_dir: Path, keep: RuntimeRootfs) -> list[Path]:
    """Delete every other runtime tree and package layer in ``cache_dir``; return what went.

    Only call this when no sandbox still uses an older tree (e.g. from ``duet runtime prune``).
    """
    keep_base = f"base-{base_key(keep.packages)}"
    removed: list[Path] = []
    for path in sorted(cache_dir.iterdir()):
        if path.is_symlink() or not path.is_dir() or path == keep.path or path.name == keep_base:
            continue
        if (path / MANIFEST).is_file() or (path / BASE_MANIFEST).is_file():
            logger.info("removing old runtime tree %s", path)
            _remove_tree(path)
            removed.append(path)
    return removed


def _build_base(cache_dir: Path, packages: Sequence[str], sources: Sequence[AptSource]) -> Path:
    key = base_key(packages)
    target = cache_dir / f"base-{key}"
    if (target / BASE_MANIFEST).is_file():
        logger.info("reusing package layer %s", target)
        return target
    if os.geteuid() != 0:
        raise ConfigurationError("building the runtime rootfs needs root (debootstrap and chroot)")
    if shutil.which("debootstrap") is None:
        raise ConfigurationError("debootstrap is not installed (apt-get install debootstrap)")
    main_mirror = next(s.uri for s in sources if SUITE in s.suites)
    work = cache_dir / f".build-base-{key}-{os.getpid()}"
    _remove_tree(work)
    logger.info("debootstrap %s from %s into %s", SUITE, main_mirror, work)
    started = time.monotonic()
    try:
        _run(["debootstrap", "--variant=minbase", "--components=main", SUITE, str(work), main_mirror])
        _write(work / "etc/dpkg/dpkg.cfg.d/01-duet-nodoc", DPKG_NODOC)
        _write(work / "etc/apt/apt.conf.d/01-duet", _APT_CONF)
        _write(work / "usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", mode=0o755)
        (work / "etc/apt/sources.list").unlink(missing_ok=True)
        _write(work / "etc/apt/sources.list.d/debian.sources", render_sources(sources, SUITE))
        with _proc_mounted(work):
            _chroot(work, ["apt-get", "update", "-q"])
            _chroot(work, ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages])
            _chroot(work, ["apt-get", "clean"])
        _strip(work)
        _write(
            work / BASE_MANIFEST,
            json.dumps(
                {"key": key, "packages": list(packages), "seconds": round(time.monotonic() - started)}
            ),
        )
        work.rename(target)
    except BaseException:
        _remove_tree(work)
        raise
    return target


def _build_final(
    base: Path,
    target: Path,
    key: str,
    packages: Sequence[str],
    harness: Mapping[str, bytes],
    catalogue: LanguageCatalogue,
) -> None:
    work = target.parent / f".build-{key}-{os.getpid()}"
    _remove_tree(work)
    try:
        # Hard links: cheap, and the tree is only ever mounted read-only.
        _run(["cp", "-al", str(base), str(work)])
        (work / BASE_MANIFEST).unlink()
        harness_dir = work / HARNESS_DIR.lstrip("/")
        for name, content in harness.items():
            _write(harness_dir / name, content, mode=0o755 if name.endswith(".sh") else 0o644)
        _build_agent(work)
        _add_runner_user(work)
        _replace_host_files(work)
        for mount_point in ("work", "results"):
            (work / mount_point).mkdir(mode=0o755, exist_ok=True)
        with _proc_mounted(work):  # the JDK finds its libraries through /proc/self/exe
            versions = {language.id: _version(work, language.version) for language in catalogue}
        manifest = {
            "key": key,
            "suite": SUITE,
            "packages": list(packages),
            "versions": versions,
            "runner": {"user": RUNNER_USER, "uid": RUNNER_UID, "gid": RUNNER_GID},
            "size_bytes": tree_size(work),
        }
        _write(work / MANIFEST, json.dumps(manifest, indent=2))
        work.rename(target)
    except BaseException:
        _remove_tree(work)
        raise


def _build_agent(root: Path) -> None:
    """Compile the agent with the tree's own gcc, against its own libc."""
    _write(root / AGENT_SOURCE.lstrip("/"), agent_source())
    _chroot(root, ["gcc", *AGENT_CFLAGS, "-o", AGENT_BINARY, AGENT_SOURCE])


def _add_runner_user(root: Path) -> None:
    """Append the ``runner`` user and group; the files are replaced, never edited in place,
    because they are hard links shared with the package layer."""
    for name, line in (
        ("passwd", f"{RUNNER_USER}:x:{RUNNER_UID}:{RUNNER_GID}:Duet runner:/tmp:/usr/sbin/nologin\n"),
        ("group", f"{RUNNER_USER}:x:{RUNNER_GID}:\n"),
    ):
        path = root / "etc" / name
        content = path.read_text()
        if f"\n{RUNNER_USER}:" not in "\n" + content:
            path.unlink()
            _write(path, content + line)


def _replace_host_files(root: Path) -> None:
    """debootstrap copies the build host's name and resolver into the tree: a sandbox has no
    network and must not learn either."""
    for name, content in (("hostname", "sandbox\n"), ("hosts", "127.0.0.1\tlocalhost sandbox\n")):
        (root / "etc" / name).unlink(missing_ok=True)
        _write(root / "etc" / name, content)
    (root / "etc/resolv.conf").unlink(missing_ok=True)


def _strip(root: Path) -> None:
    """Drop what a runtime never reads: apt lists and caches, logs, docs installed by debootstrap."""
    for pattern in (
        "var/lib/apt/lists/*",
        "var/cache/apt/*",
        "var/cache/debconf/*-old",
        "var/log/*",
        "usr/share/man/*",
        "usr/share/info/*",
        "usr/share/lintian/*",
        # Only for building other JDKs (jlink) and for testing Go itself.
        "usr/lib/jvm/*/jmods",
        "usr/share/go-*/test",
    ):
        for path in root.glob(pattern):
            _remove_tree(path)
    for doc in (root / "usr/share/doc").glob("*"):
        for item in doc.iterdir() if doc.is_dir() and not doc.is_symlink() else ():
            if item.name != "copyright":
                _remove_tree(item)
    for locale in (root / "usr/share/locale").glob("*"):
        if locale.name != "locale.alias":
            _remove_tree(locale)


def _version(root: Path, argv: Sequence[str]) -> str:
    done = subprocess.run(
        ["chroot", "--userspec", f"{RUNNER_UID}:{RUNNER_GID}", str(root), *argv],
        env={**_CHROOT_ENV, "HOME": "/tmp"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].strip() if lines else f"(exit {done.returncode})"


def tree_size(root: Path) -> int:
    """Bytes used by ``root``, counting each inode once (hard links share)."""
    seen: set[int] = set()
    total = 0
    for directory, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            st = os.lstat(Path(directory, name))
            if st.st_ino not in seen:
                seen.add(st.st_ino)
                total += st.st_blocks * 512
    return total


def _read_manifest(path: Path, *, build_seconds: float) -> RuntimeRootfs | None:
    manifest = path / MANIFEST
    if not manifest.is_file():
        return None
    data = json.loads(manifest.read_text())
    return RuntimeRootfs(
        path=path,
        key=str(data["key"]),
        packages=tuple(data["packages"]),
        versions=dict(data["versions"]),
        size_bytes=int(data["size_bytes"]),
        build_seconds=build_seconds,
    )


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        logger.debug("waiting for %s", path)
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def _proc_mounted(root: Path) -> Iterator[None]:
    proc = root / "proc"
    _run(["mount", "-t", "proc", "proc", str(proc)])
    try:
        yield
    finally:
        _run(["umount", "--lazy", str(proc)])


def _chroot(root: Path, argv: Sequence[str]) -> None:
    _run(["chroot", str(root), *argv], env=_CHROOT_ENV)


def _run(argv: Sequence[str], env: Mapping[str, str] | None = None) -> None:
    logger.info("$ %s", " ".join(argv))
    done = subprocess.run(
        list(argv), env=dict(env) if env else None, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-4000:]
        raise RootfsBuildError(f"{argv[0]} failed with exit {done.returncode}", details={"output": tail})
    logger.debug("%s", done.stdout[-2000:])


def _write(path: Path, content: str | bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    path.write_bytes(data)
    path.chmod(mode)


def _remove_tree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        if any(p.is_mount() for p in (path / "proc", path / "sys", path / "dev") if p.exists()):
            raise RootfsBuildError(f"refusing to delete {path}: a file system is still mounted in it")
        shutil.rmtree(path)
