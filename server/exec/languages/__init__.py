"""Language runtimes: one immutable ``Language`` per module, discovered by ``load_registry``."""

from server.exec.languages.model import (
    BASE_ENV,
    BUILD_DIR,
    HARNESS_DIR,
    RESULTS_DIR,
    WORK_DIR,
    Language,
    Mode,
    ReportFormat,
    Step,
    TestHarness,
)
from server.exec.languages.registry import (
    LanguageRegistry,
    UnknownLanguage,
    harness_files,
    harness_root,
    load_registry,
)

__all__ = [
    "BASE_ENV",
    "BUILD_DIR",
    "HARNESS_DIR",
    "RESULTS_DIR",
    "WORK_DIR",
    "Language",
    "LanguageRegistry",
    "Mode",
    "ReportFormat",
    "Step",
    "TestHarness",
    "UnknownLanguage",
    "harness_files",
    "harness_root",
    "load_registry",
]
