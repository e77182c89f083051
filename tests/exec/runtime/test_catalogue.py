"""The language catalogue: one module per language, consistent with the session model."""

from __future__ import annotations

import importlib
import re

import pytest

from server.errors import NotFound
from server.exec.runtime.languages import HARNESS_DIR, RESULTS_DIR, Language, LanguageCatalogue, harness_files
from server.exec.runtime.languages.catalogue import UnknownLanguage
from server.sessions.languages import LANGUAGES, MAIN_FILES


def test_ids_match_the_session_languages(catalogue: LanguageCatalogue) -> None:
    assert set(catalogue.ids()) == set(LANGUAGES) - {"plaintext"}
    assert len(catalogue) == 12
    assert list(catalogue.ids()) == sorted(catalogue.ids())


@pytest.mark.parametrize("language_id", sorted(set(LANGUAGES) - {"plaintext"}))
def test_each_language_is_one_module_named_after_its_id(language_id: str) -> None:
    module = importlib.import_module(f"server.exec.runtime.languages.{language_id}")
    language = module.LANGUAGE
    assert isinstance(language, Language)
    assert language.id == language_id
    assert language.source_file == MAIN_FILES[language_id]
    assert language.display_name and language.packages and language.version
    assert language.test.test_file != language.source_file
    assert language.test.report_files and all("/" not in name for name in language.test.report_files)
    argvs = [language.run, language.version, language.test.run]
    argvs += [a for a in (language.compile, language.test.compile) if a is not None]
    assert all(argv and all(isinstance(arg, str) and arg for arg in argv) for argv in argvs)
    env = language.environment()
    assert env["HOME"] == "/tmp" and env["PATH"].startswith("/usr/local/bin")


def test_steps_put_compile_first(catalogue: LanguageCatalogue) -> None:
    c = catalogue.get("c")
    assert [s.name for s in c.steps("run")] == ["compile", "run"]
    assert [s.name for s in c.steps("test")] == ["compile", "run"]
    python = catalogue.get("python")
    assert [(s.name, s.argv) for s in python.steps("run")] == [("run", ("python3", "main.py"))]


def test_every_harness_path_in_an_argv_is_shipped(catalogue: LanguageCatalogue) -> None:
    shipped = set(harness_files())
    shipped |= {name.rsplit("/", 1)[0] for name in shipped if "/" in name}  # their directories
    referenced = set()
    for language in catalogue:
        for argv in (language.test.run, language.test.compile or (), language.run, language.compile or ()):
            for arg in argv:
                referenced.update(re.findall(rf"{HARNESS_DIR}/([\w./-]+)", arg))
    assert referenced, "no harness file referenced"
    assert referenced <= shipped
    # Each report goes to the results dir, never to the work dir.
    for language in catalogue:
        joined = " ".join(language.test.run)
        # (Duet's own reporters name it in their code: JUnit's listener, PHPUnit's bootstrap)
        assert RESULTS_DIR in joined or "run-tests.sh" in joined or language.id in {"c", "java", "php"}


def test_packages_are_the_sorted_union(catalogue: LanguageCatalogue) -> None:
    packages = catalogue.packages()
    assert list(packages) == sorted(set(packages))
    assert {"python3", "nodejs", "openjdk-17-jdk-headless", "rustc", "golang-go"} <= set(packages)


def test_unknown_language_is_a_not_found(catalogue: LanguageCatalogue) -> None:
    with pytest.raises(UnknownLanguage) as caught:
        catalogue.get("cobol")
    assert isinstance(caught.value, NotFound)
    assert caught.value.code == "unknown_language"
