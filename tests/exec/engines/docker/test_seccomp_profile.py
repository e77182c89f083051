"""What Docker gets of the seccomp policy (server/exec/sandbox/seccomp.py): the profile rendered
from the declaration, and one filter on the container's processes. What that filter refuses is
tests/exec/engines/test_hostile.py's, through every engine."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from server.exec.engines.docker.engine import DockerEngine
from server.exec.runtime.languages import LanguageCatalogue
from server.exec.sandbox import RunSpec, Step, seccomp

pytestmark = pytest.mark.anyio


def proc_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {key: value.strip() for key, _, value in (line.partition(":") for line in lines)}


async def test_containers_are_created_with_the_policy_and_run_under_it(
    docker: DockerEngine, catalogue: LanguageCatalogue
) -> None:
    python = catalogue.get("python")
    spec = RunSpec(files={}, steps=[Step("run", ("python3", "-q", "-i"))], env=python.environment())
    async with docker.terminal(spec) as terminal:  # a container held open while it is looked at
        seen = b""
        with anyio.fail_after(20):
            while b">>> " not in seen:
                chunk = await terminal.read()
                assert chunk, seen
                seen += chunk
        listed = docker.client.containers.list(filters={"label": f"duet.owner={docker.owner}"})
        assert listed, "the terminal's container is running"
        for summary in listed:
            container = docker.client.containers.get(str(summary.id))  # the full inspect
            security = container.attrs["HostConfig"]["SecurityOpt"]
            assert security == ["no-new-privileges", f"seccomp={seccomp.docker_profile()}"]
            agent = proc_status(container.attrs["State"]["Pid"])  # the agent, as the host sees it
            assert (agent["Seccomp"], agent["Seccomp_filters"], agent["NoNewPrivs"]) == ("2", "1", "1")
