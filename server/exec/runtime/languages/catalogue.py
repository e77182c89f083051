"""The catalogue: every module in this package that defines ``LANGUAGE`` is a language.

Adding a language is one module (plus, when its framework needs a reporter, files under
``server/exec/runtime/harness/<id>/``); nothing else lists languages.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from server.errors import NotFound
from server.exec.runtime.languages.model import Language

logger = logging.getLogger(__name__)

#: Modules of this package that are infrastructure, not languages.
_NOT_LANGUAGES = frozenset({"model", "catalogue"})


class UnknownLanguage(NotFound):
    code = "unknown_language"


@dataclass(frozen=True, slots=True)
class LanguageCatalogue:
    """All languages by id, in a stable order."""

    by_id: Mapping[str, Language]

    def get(self, language_id: str) -> Language:
        try:
            return self.by_id[language_id]
        except KeyError:
            raise UnknownLanguage(f"no runtime for language {language_id!r}") from None

    def __iter__(self) -> Iterator[Language]:
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    def ids(self) -> tuple[str, ...]:
        return tuple(self.by_id)

    def packages(self) -> tuple[str, ...]:
        """The sorted union of every language's Debian packages."""
        return tuple(sorted({package for language in self for package in language.packages}))


def load_catalogue() -> LanguageCatalogue:
    """Import every language module of this package and index its ``LANGUAGE``."""
    package = __name__.rpartition(".")[0]
    found: dict[str, Language] = {}
    for info in sorted(pkgutil.iter_modules(importlib.import_module(package).__path__), key=lambda i: i.name):
        if info.name in _NOT_LANGUAGES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        language = getattr(module, "LANGUAGE", None)
        if not isinstance(language, Language):
            raise TypeError(f"{module.__name__} does not define LANGUAGE = Language(...)")
        if language.id in found:
            raise ValueError(f"language id {language.id!r} is defined twice")
        found[language.id] = language
    logger.debug("loaded %s languages", len(found))
    return LanguageCatalogue(by_id=found)


def harness_root() -> Traversable:
    """The directory of harness support files (``server/exec/runtime/harness``), one folder per
    language."""
    return resources.files("server.exec.runtime").joinpath("harness")


def harness_files() -> dict[str, bytes]:
    """Every harness support file as ``"<language>/<relative path>" -> content``."""
    files: dict[str, bytes] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name == "__pycache__":
                continue
            path = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, path + "/")
            else:
                files[path] = child.read_bytes()

    walk(harness_root(), "")
    return files
