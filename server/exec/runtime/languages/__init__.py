"""Language runtimes: one immutable ``Language`` per module, discovered by ``load_registry``."""

from server.exec.runtime.languages.model import (
    BASE_ENV,
    BUILD_DIR,
    HARNESS_DIR,
    RESULTS_DIR,
    WORK_DIR,
    Language,
    Mode,
    ReportFormat,
    TestHarness,
)
from server.exec.runtime.languages.registry import (
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
    "TestHarness",
    "UnknownLanguage",
    "harness_files",
    "harness_root",
    "load_registry",
]
