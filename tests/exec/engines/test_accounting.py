"""What a run used, through every engine: CPU time and peak memory, read by the host, for a run
that is the sandbox's own process and for a run of several steps."""

from __future__ import annotations

import textwrap

import pytest

from server.exec.runtime.languages import LanguageCatalogue
from server.exec.sandbox import Engine, Limits, RunSpec

pytestmark = pytest.mark.anyio

#: Generous: what is measured here is what the run used, not whether it fits a limit.
LIMITS = Limits(wall_seconds=60, cpu_seconds=60)

HOG = """
import time
block = bytearray(96 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
end = time.process_time() + 0.4
while time.process_time() < end:
    pass
print("done")
"""

C_HOG = r"""
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    size_t size = 96u << 20;
    volatile char *block = malloc(size);  /* volatile: every page really written */
    for (size_t i = 0; i < size; i += 4096) block[i] = 1;
    volatile unsigned long spin = 0;
    for (unsigned long i = 0; i < 400000000ul; i++) spin += i;
    printf("done %d\n", block[0]);
    return 0;
}
"""


async def test_a_plain_run_reports_its_cpu_and_memory(engine: Engine, catalogue: LanguageCatalogue) -> None:
    python = catalogue.get("python")
    spec = RunSpec(
        files={"main.py": textwrap.dedent(HOG).encode()},
        steps=python.steps("run"),
        env=python.environment(),
        limits=LIMITS,
    )
    result = await engine.run(spec)
    assert (result.status, result.stdout) == ("ok", "done\n"), result
    assert result.memory_bytes >= 96 * 1024 * 1024, result
    assert result.cpu_ms >= 350, result
    assert result.wall_ms >= result.cpu_ms - 50, result


async def test_a_compiled_run_reports_the_run_step(engine: Engine, catalogue: LanguageCatalogue) -> None:
    c = catalogue.get("c")
    spec = RunSpec(files={"main.c": C_HOG.encode()}, steps=c.steps("run"), env=c.environment(), limits=LIMITS)
    assert len(spec.steps) == 2  # compile, then run: the engine's multi-step path
    result = await engine.run(spec)
    assert (result.status, result.stdout) == ("ok", "done 1\n"), result
    assert result.memory_bytes >= 96 * 1024 * 1024, result
    assert result.cpu_ms >= 100, result
