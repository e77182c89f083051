"""The engine-independent core of code execution.

The run model (``model``: limits, the run, its result, steps, and what an engine and a terminal
are), the checks on a run's files (``paths``), and what both engines share: supervising a started
step (``supervision``), the run's host directories (``workspace``), capped output, pipes and the
pty terminal, terminal limits, the warm pool, cgroups and the seccomp policy. Nothing here knows
bubblewrap, Docker, languages or queues.

The run model is imported from this package (``from server.exec.sandbox import RunSpec``);
the machinery from its modules.
"""

from server.exec.sandbox.model import (
    RESULTS_DIR,
    WORK_DIR,
    Engine,
    Limits,
    Mode,
    OutputSink,
    RunResult,
    RunSpec,
    Status,
    Step,
    StepName,
    Stream,
    Terminal,
)
from server.exec.sandbox.paths import check_files

__all__ = [
    "RESULTS_DIR",
    "WORK_DIR",
    "Limits",
    "Mode",
    "OutputSink",
    "RunResult",
    "RunSpec",
    "Engine",
    "Status",
    "Step",
    "StepName",
    "Stream",
    "Terminal",
    "check_files",
]
