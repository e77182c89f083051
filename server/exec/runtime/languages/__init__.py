"""The language catalogue: one immutable ``Language`` per module, discovered by ``load_catalogue``."""

from server.exec.runtime.languages.catalogue import (
    LanguageCatalogue,
    UnknownLanguage,
    harness_files,
    harness_root,
    load_catalogue,
)
from server.exec.runtime.languages.model import (
    BASE_ENV,
    BUILD_DIR,
    HARNESS_DIR,
    RESULTS_DIR,
    WORK_DIR,
    Language,
    ReportFormat,
    TestHarness,
)

__all__ = [
    "BASE_ENV",
    "BUILD_DIR",
    "HARNESS_DIR",
    "RESULTS_DIR",
    "WORK_DIR",
    "Language",
    "LanguageCatalogue",
    "ReportFormat",
    "TestHarness",
    "UnknownLanguage",
    "harness_files",
    "harness_root",
    "load_catalogue",
]
