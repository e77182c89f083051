"""Build a Challenge from a folder's files (``path -> bytes``, relative to the folder).

Layout (docs/assessments.md): ``challenge.yaml``, ``instructions.md``; for code challenges per
language ``<language>/starter/``, ``<language>/solution/`` and, scored by tests,
``<language>/sample/`` and ``<language>/submission/``; scored by input/output cases,
``cases/sample/<name>.in|.out`` and ``cases/submission/<name>.in|.out``. Anything else is an error.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.errors import InvalidInput
from server.exec.runtime.languages import LanguageCatalogue, load_catalogue
from server.exec.sandbox.paths import check_path
from server.hiring.access import access_of
from server.hiring.challenge import Challenge, IOCase, LanguageFiles, StarterFile
from server.hiring.challenge_schema import CHALLENGE_SCHEMA, CodeChallengeSpec, IOScoring, QAChallengeSpec
from server.hiring.content_hash import content_hash
from server.hiring.problems import ContentInvalid, ContentProblem
from server.hiring.spec_check import check_yaml

SPEC_FILE = "challenge.yaml"
INSTRUCTIONS_FILE = "instructions.md"
_PARTS = ("starter", "solution", "sample", "submission")


def _text(files: Mapping[str, bytes], name: str, problems: list[ContentProblem]) -> str | None:
    if name not in files:
        problems.append(ContentProblem(name, None, "missing"))
        return None
    try:
        return files[name].decode()
    except UnicodeDecodeError as exc:
        problems.append(ContentProblem(name, None, f"not UTF-8 text: {exc}"))
        return None


def load_challenge(files: Mapping[str, bytes], catalogue: LanguageCatalogue | None = None) -> Challenge:
    """The challenge in ``files``; ContentInvalid lists every problem with its file and line."""
    problems: list[ContentProblem] = []
    spec_text = _text(files, SPEC_FILE, problems)
    instructions = _text(files, INSTRUCTIONS_FILE, problems)
    if spec_text is None:
        raise ContentInvalid(problems)
    try:
        spec = check_yaml(CHALLENGE_SCHEMA, spec_text, SPEC_FILE)
    except ContentInvalid as exc:
        raise ContentInvalid([*exc.problems, *problems]) from None
    for name, content in files.items():  # content is text: it is stored and served as such
        if name in {SPEC_FILE, INSTRUCTIONS_FILE}:
            continue
        try:
            content.decode()
        except UnicodeDecodeError:
            problems.append(ContentProblem(name, None, "not UTF-8 text"))
    rest = {name: content for name, content in files.items() if name not in {SPEC_FILE, INSTRUCTIONS_FILE}}
    languages: dict[str, LanguageFiles] = {}
    cases: tuple[IOCase, ...] = ()
    if isinstance(spec, QAChallengeSpec):
        problems.extend(ContentProblem(name, None, "a Q&A challenge has no other files") for name in rest)
    else:
        languages, used = _languages(spec, rest, catalogue or load_catalogue(), problems)
        if isinstance(spec.scoring, IOScoring):
            cases = _cases(spec.scoring, rest, problems)
            used |= {name for name in rest if name.startswith("cases/")}
        problems.extend(
            ContentProblem(name, None, "not part of the challenge layout (see docs/assessments.md)")
            for name in sorted(set(rest) - used)
        )
    if problems or instructions is None:
        raise ContentInvalid(problems)
    return Challenge(spec, instructions, content_hash(files), languages, cases)


def _languages(
    spec: CodeChallengeSpec,
    files: Mapping[str, bytes],
    catalogue: LanguageCatalogue,
    problems: list[ContentProblem],
) -> tuple[dict[str, LanguageFiles], set[str]]:
    found: dict[str, LanguageFiles] = {}
    used: set[str] = set()
    tests = not isinstance(spec.scoring, IOScoring)
    for language_id in spec.languages:
        language = catalogue.get(language_id)
        parts: dict[str, dict[str, bytes]] = {part: {} for part in _PARTS}
        for name, content in files.items():
            head, _, tail = name.partition("/")
            part, _, path = tail.partition("/")
            if head != language_id or part not in parts or not path:
                continue
            used.add(name)
            try:
                check_path(path)
            except InvalidInput as exc:
                problems.append(ContentProblem(name, None, exc.message))
                continue
            parts[part][path] = content
        where = f"{language_id}/"
        if not parts["starter"]:
            problems.append(
                ContentProblem(where + "starter/", None, "missing: the candidate's starting files")
            )
        if not parts["solution"]:
            problems.append(ContentProblem(where + "solution/", None, "missing: the reference solution"))
        if tests:
            for part in ("sample", "submission"):
                if language.test.test_file not in parts[part]:
                    problems.append(
                        ContentProblem(
                            f"{where}{part}/{language.test.test_file}",
                            None,
                            f"missing: {language.display_name} tests are in {language.test.test_file}",
                        )
                    )
        else:
            for part in ("sample", "submission"):
                if parts[part]:
                    problems.append(
                        ContentProblem(where + part + "/", None, "input/output challenges have cases/")
                    )
            if language.source_file not in parts["starter"] | parts["solution"]:
                problems.append(
                    ContentProblem(
                        where + "starter/", None, f"{language.display_name} runs {language.source_file}"
                    )
                )
        starter = tuple(
            StarterFile(path, content, access_of(spec, path))
            for path, content in sorted(parts["starter"].items())
        )
        found[language_id] = LanguageFiles(
            language_id, starter, parts["solution"], parts["sample"], parts["submission"]
        )
    return found, used


def _cases(
    scoring: IOScoring, files: Mapping[str, bytes], problems: list[ContentProblem]
) -> tuple[IOCase, ...]:
    cases: list[IOCase] = []
    for kind in ("sample", "submission"):
        prefix = f"cases/{kind}/"
        names = sorted({name[len(prefix) :].rsplit(".", 1)[0] for name in files if name.startswith(prefix)})
        for name in names:
            stdin, expected = files.get(f"{prefix}{name}.in"), files.get(f"{prefix}{name}.out")
            if stdin is None or expected is None or "/" in name:
                problems.append(ContentProblem(f"{prefix}{name}", None, "a case is a NAME.in and a NAME.out"))
                continue
            cases.append(IOCase(name, stdin, expected, scoring.weights.get(name, 1.0), kind == "sample"))
    if not any(not case.sample for case in cases):
        problems.append(ContentProblem("cases/submission/", None, "missing: at least one scored case"))
    case_names = {case.name for case in cases}
    problems.extend(
        ContentProblem(SPEC_FILE, None, f"scoring.weights: no case named {name!r}")
        for name in scoring.weights
        if name not in case_names
    )
    return tuple(cases)
