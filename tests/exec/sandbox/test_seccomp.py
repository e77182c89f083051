"""The seccomp policy (server/exec/sandbox/seccomp.py): its declaration, the BPF program libseccomp
compiles from it (loaded on the host by the probe, under the sandboxes' uid, as bwrap loads it),
the Docker profile rendered from it, and docs/exec.md's list of it."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from server.exec.runtime.rootfs import RUNNER_GID, RUNNER_UID
from server.exec.sandbox import seccomp
from tests.support import seccomp_answers, syscall_probe
from tests.support.prerequisites import missing

ROOT = Path(__file__).resolve().parents[3]

#: The refused calls whose kernel code checks for a privilege before anything the probe's
#: arguments could fail on: without the filter they answer EPERM to the sandboxes' uid as well.
#: For every other one an EPERM in a sandbox is the filter's (checked below on this host).
PRIVILEGE_FIRST = {
    "move_mount",
    "fsopen",
    "fsmount",
    "fspick",
    "pivot_root",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "settimeofday",
    "syslog",  # with kernel.dmesg_restrict
    "vhangup",
    *(f"clone {flag}" for flag in seccomp.NAMESPACE_FLAGS if flag != "CLONE_NEWUSER"),
}


def probe_on_host(tmp_path: Path, *, filtered: bool) -> dict[str, str]:
    """The probe run as the sandboxes' uid and gid (no capabilities), under the filter or not."""
    if os.geteuid() != 0:
        missing("the probe takes the sandboxes' uid, which needs root")
    command = [sys.executable, syscall_probe.__file__, "--uid", str(RUNNER_UID), "--gid", str(RUNNER_GID)]
    if filtered:
        program = tmp_path / "filter.bpf"
        program.write_bytes(seccomp.bpf_program())
        command += ["--filter", str(program)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd="/", env={}, timeout=120)
    report: dict[str, str] = json.loads(done.stdout)
    return report


def test_the_probe_makes_every_call_the_policy_refuses() -> None:
    assert set(syscall_probe.REFUSED) | set(syscall_probe.CLONES) == set(seccomp_answers.refused())


def test_the_filter_refuses_every_call_and_runs_the_others(tmp_path: Path) -> None:
    """The BPF program itself, loaded as bwrap loads it: each refused call answers the policy's
    errno, the i386 and x32 entry points kill the process, fork, threads and getpid work."""
    assert probe_on_host(tmp_path, filtered=True) == seccomp_answers.under_the_policy()


def test_without_the_filter_the_refusals_are_not_for_lack_of_privilege(tmp_path: Path) -> None:
    """The probe's calls answer something else than EPERM unfiltered (for the same uid, with no
    capabilities), but for those that check a privilege first: so the sandboxes' EPERM is the
    filter's. The other ABIs are there: the filter's SIGSYS is not the kernel refusing them."""
    unfiltered = probe_on_host(tmp_path, filtered=False)
    assert unfiltered["seccomp filters"] == "0"
    eperm = {call for call in seccomp_answers.refused() if unfiltered[call] == "EPERM"}
    assert eperm <= PRIVILEGE_FIRST, (
        f"without the filter these answer EPERM too, here: {eperm - PRIVILEGE_FIRST}"
    )
    assert unfiltered["unshare"] == unfiltered["clone CLONE_NEWUSER"] == unfiltered["keyctl"] == "ok"
    assert unfiltered["clone3"] == "EINVAL"  # the filter's ENOSYS is its own too
    assert unfiltered["i386 getpid"] == "ok"
    assert unfiltered["x32 getpid"] != "SIGSYS"
    assert {unfiltered[call] for call in syscall_probe.ALLOWED} == {"ok"}


def test_every_name_is_an_x86_64_system_call_libseccomp_knows() -> None:
    assert len(seccomp.bpf_program()) % 8 == 0  # struct sock_filter is 8 bytes
    with pytest.raises(RuntimeError, match="does not know the system call 'no_such_call'"):
        seccomp.compile_bpf((seccomp.Refused("a typo", ("no_such_call",)),))


def test_the_program_is_compiled_once_per_process() -> None:
    assert seccomp.bpf_program() is seccomp.bpf_program()
    assert seccomp.compile_bpf(seccomp.POLICY) == seccomp.bpf_program()
    assert seccomp.unavailable() is None


def test_the_docker_profile_is_the_same_policy() -> None:
    profile = json.loads(seccomp.docker_profile())
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
    assert profile["architectures"] == ["SCMP_ARCH_X86_64"]  # runc and crun kill the others
    refusals = set()
    for entry in profile["syscalls"]:
        assert entry["action"] == "SCMP_ACT_ERRNO"
        (name,) = entry["names"]
        flags = [arg["value"] for arg in entry.get("args", [])]
        for arg in entry.get("args", []):
            assert (arg["index"], arg["op"], arg["valueTwo"]) == (0, "SCMP_CMP_MASKED_EQ", arg["value"])
        flag_names = [flag for flag, value in seccomp.NAMESPACE_FLAGS.items() if [value] == flags]
        refusals.add((" ".join([name, *flag_names]), errno.errorcode[entry["errnoRet"]]))
    assert refusals == set(seccomp_answers.refused().items())


def documented_refusals() -> set[tuple[frozenset[str], str, frozenset[str]]]:
    """docs/exec.md's table of refused calls: (calls, errno, clone flags) for each row."""
    doc = (ROOT / "docs" / "exec.md").read_text()
    section = doc.split("## System calls refused", 1)[1].split("\n## ", 1)[0]
    rows = set()
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not re.fullmatch(r"E[A-Z]+", cells[1]):
            continue
        names = re.findall(r"`([a-z0-9_A-Z]+)`", cells[0])
        flags = frozenset(name for name in names if name.startswith("CLONE_"))
        rows.add((frozenset(names) - flags, cells[1], flags))
    return rows


def test_the_docs_list_exactly_the_refused_calls() -> None:
    declared = {
        (frozenset(group.calls), errno.errorcode[group.answer], frozenset(group.flags))
        for group in seccomp.POLICY
    }
    assert documented_refusals() == declared
