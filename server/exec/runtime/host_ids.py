"""Is the sandboxes' uid or gid anyone else's on this host? Checked before any engine starts.

Sandboxed code runs as ``RUNNER_UID:RUNNER_GID`` (``server.exec.runtime.rootfs``), ids chosen to
belong to no host account. Nothing stops an administrator from giving them out anyway, so at engine start
the server looks: a user (by uid, or by primary gid) in ``/etc/passwd``, a group in ``/etc/group``,
a subordinate range in ``/etc/subuid`` or ``/etc/subgid`` (rootless containers' users: Podman,
rootless Docker, Docker's userns-remap) and, when the files say nothing, the user and group
databases through NSS (LDAP, sssd, winbind, systemd). Any of them and no engine starts: code
never runs under an id something on the host also has.
"""

from __future__ import annotations

import contextlib
import grp
import pwd
from collections.abc import Iterator
from pathlib import Path

from server.exec.runtime.rootfs import RUNNER_GID, RUNNER_UID

PASSWD = Path("/etc/passwd")
GROUP = Path("/etc/group")
SUBUID = Path("/etc/subuid")
SUBGID = Path("/etc/subgid")


def ids_in_use(
    uid: int,
    gid: int,
    *,
    passwd: Path = PASSWD,
    group: Path = GROUP,
    subuid: Path = SUBUID,
    subgid: Path = SUBGID,
) -> list[str]:
    """Where ``uid`` or ``gid`` is taken in these files, one phrase each; empty when nowhere.

    A missing file takes nothing (most hosts have no ``/etc/subuid``); a file that exists but
    cannot be read is reported, since then nobody can tell. Lines the tools themselves ignore
    (comments, blank or malformed ones) are ignored here too."""
    found: list[str] = []
    for path, fields in _entries(passwd, found):
        if len(fields) >= 4:
            name, user_id, group_id = fields[0], fields[2], fields[3]
            if user_id == str(uid):
                found.append(f"{path}: user {name} has uid {uid}")
            if group_id == str(gid):
                found.append(f"{path}: user {name} has primary gid {gid}")
    for path, fields in _entries(group, found):
        if len(fields) >= 3 and fields[2] == str(gid):
            found.append(f"{path}: group {fields[0]} has gid {gid}")
    for path, wanted in ((subuid, uid), (subgid, gid)):
        for _, fields in _entries(path, found):
            if len(fields) != 3 or not (fields[1].isdigit() and fields[2].isdigit()):
                continue
            start, count = int(fields[1]), int(fields[2])
            if start <= wanted < start + count:
                found.append(f"{path}: {fields[0]}'s range {start}-{start + count - 1} holds {wanted}")
    return found


def host_conflict(uid: int = RUNNER_UID, gid: int = RUNNER_GID) -> str | None:
    """None when the sandboxes' ids are nobody's on this host, else why no engine may start."""
    found = ids_in_use(uid, gid, passwd=PASSWD, group=GROUP, subuid=SUBUID, subgid=SUBGID)
    if not found:  # the files are what NSS reads first: ask it only for what they do not list
        found = _nss_entries(uid, gid)
    if not found:
        return None
    return (
        f"the sandboxes' uid:gid {uid}:{gid} is in use on this host ({'; '.join(found)}); "
        "code never runs under an id a host user, group or container shares"
    )


def _entries(path: Path, problems: list[str]) -> Iterator[tuple[Path, list[str]]]:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return
    except OSError as exc:
        problems.append(f"{path} cannot be read ({exc.strerror})")
        return
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            yield path, line.split(":")


def _nss_entries(uid: int, gid: int) -> list[str]:
    found: list[str] = []
    with contextlib.suppress(KeyError):
        found.append(f"the user database names uid {uid} {pwd.getpwuid(uid).pw_name}")
    with contextlib.suppress(KeyError):
        found.append(f"the group database names gid {gid} {grp.getgrgid(gid).gr_name}")
    return found
