"""What every benchmark writes: the machine it ran on, and its own section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} × {cpu}, Linux {platform.release()}, load average at start {load}"


def replace_section(path: Path, name: str, body: str) -> None:
    """Rewrite the text between ``<!-- bench:NAME:begin -->`` and ``<!-- bench:NAME:end -->``."""
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    text = path.read_text()
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{path} has no {begin} ... {end} section")
    path.write_text(pattern.sub(lambda _: f"{begin}\n{body.strip()}\n{end}", text))
