"""docker/runtime.Dockerfile is generated from the catalogue and cannot drift from it."""

from __future__ import annotations

import re
from pathlib import Path

from server.exec.runtime.dockerfile import DOCKERFILE_PATH, render_dockerfile
from server.exec.runtime.languages import LanguageCatalogue
from server.exec.runtime.rootfs import RUNNER_GID, RUNNER_UID

ROOT = Path(__file__).resolve().parents[3]


def test_checked_in_dockerfile_is_the_generated_one(catalogue: LanguageCatalogue) -> None:
    assert (ROOT / DOCKERFILE_PATH).read_text() == render_dockerfile(catalogue), (
        "run `duet runtime dockerfile`"
    )


def test_dockerfile_installs_exactly_the_catalogue_packages(catalogue: LanguageCatalogue) -> None:
    text = (ROOT / DOCKERFILE_PATH).read_text()
    install = text.split("--no-install-recommends", 1)[1].split(";", 1)[0]
    listed = re.findall(r"^\s+([a-z0-9][a-z0-9.+-]+)(?: \\)?$", install, flags=re.MULTILINE)
    assert listed == list(catalogue.packages())
    assert text.count("FROM ") == 1 and "FROM debian:bookworm-slim" in text
    assert f"USER {RUNNER_UID}:{RUNNER_GID}\n" in text


def test_the_runner_is_the_dedicated_user_without_lastlog_entries() -> None:
    """Its uid is far above 65535: without --no-log-init, useradd would size the sparse lastlog and
    faillog by it (hundreds of GB in an image layer)."""
    text = (ROOT / DOCKERFILE_PATH).read_text()
    assert f"groupadd --gid {RUNNER_GID} runner;" in text
    assert (
        f"useradd --uid {RUNNER_UID} --gid {RUNNER_GID} --home-dir /tmp --no-create-home --no-log-init"
        in text
    )


def test_dockerfile_compiles_the_docker_sandbox_agent() -> None:
    text = (ROOT / DOCKERFILE_PATH).read_text()
    assert "COPY server/exec/engines/docker/agent/duet-agent.c /opt/duet/src/duet-agent.c\n" in text
    assert "RUN gcc -O2 -Wall -Wextra -Werror -o /opt/duet/duet-agent /opt/duet/src/duet-agent.c\n" in text
    assert (ROOT / "server/exec/engines/docker/agent/duet-agent.c").is_file()
