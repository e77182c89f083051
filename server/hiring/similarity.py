"""How alike two submissions of one challenge are, whatever the names and the layout.

The code is cut into tokens by a generic lexer (Python's own ``tokenize`` for Python); every
identifier becomes ``V``, every number ``N``, every string ``S``; comments and whitespace go.
Hashes of each run of ``K`` tokens are winnowed (the smallest of every window of ``W``, as MOSS
does) and two submissions compare by the Jaccard index of their fingerprints. Pure."""

from __future__ import annotations

import hashlib
import io
import keyword
import re
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

K = 5
W = 4
#: Pairs at or above this share of fingerprints are flagged for reviewers.
THRESHOLD = 0.8
#: Submissions with fewer tokens than this are too small to say anything.
MIN_TOKENS = 20

_GENERIC = re.compile(
    r"""(?P<comment>//[^\n]*|\#[^\n]*|/\*.*?\*/)
      |(?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`(?:\\.|[^`\\])*`)
      |(?P<number>\b\d[\w.]*)
      |(?P<name>[A-Za-z_$][\w$]*)
      |(?P<op>[^\s\w])""",
    re.VERBOSE | re.DOTALL,
)
_KEYWORDS = frozenset(
    [
        "if",
        "else",
        "elif",
        "for",
        "while",
        "do",
        "return",
        "function",
        "def",
        "class",
        "struct",
        "fn",
        "let",
        "const",
        "var",
        "new",
        "try",
        "catch",
        "except",
        "finally",
        "raise",
        "throw",
        "import",
        "from",
        "package",
        "func",
        "go",
        "defer",
        "switch",
        "case",
        "break",
        "continue",
        "in",
        "of",
        "not",
        "and",
        "or",
        "is",
        "None",
        "null",
        "nil",
        "true",
        "false",
        "True",
        "False",
        "self",
        "this",
        "lambda",
        "yield",
        "async",
        "await",
        "pub",
        "impl",
        "use",
        "mut",
        "match",
        "loop",
        "type",
        "interface",
        "public",
        "private",
        "static",
        "void",
        "int",
        "long",
        "char",
        "bool",
        "string",
        "float",
        "double",
        "map",
        "range",
        "with",
        "as",
        "pass",
    ]
)


def _python_tokens(text: str) -> list[str] | None:
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.NAME:
                out.append(tok.string if keyword.iskeyword(tok.string) else "V")
            elif tok.type == tokenize.NUMBER:
                out.append("N")
            elif tok.type == tokenize.STRING:
                out.append("S")
            elif tok.type == tokenize.OP:
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return out


def _generic_tokens(text: str) -> list[str]:
    out: list[str] = []
    for match in _GENERIC.finditer(text):
        kind = match.lastgroup
        if kind == "comment":
            continue
        if kind == "string":
            out.append("S")
        elif kind == "number":
            out.append("N")
        elif kind == "name":
            word = match.group()
            out.append(word if word in _KEYWORDS else "V")
        else:
            out.append(match.group())
    return out


def normalized_tokens(files: Mapping[str, str], language: str) -> list[str]:
    """Every file's tokens, files in path order."""
    tokens: list[str] = []
    for path in sorted(files):
        text = files[path]
        found = _python_tokens(text) if language == "python" else None
        tokens.extend(found if found is not None else _generic_tokens(text))
    return tokens


def fingerprints(tokens: Sequence[str], k: int = K, w: int = W) -> frozenset[int]:
    if len(tokens) < k:
        return frozenset()
    hashes = [
        int.from_bytes(hashlib.blake2b(" ".join(tokens[i : i + k]).encode(), digest_size=8).digest(), "big")
        for i in range(len(tokens) - k + 1)
    ]
    if len(hashes) <= w:
        return frozenset([min(hashes)])
    return frozenset(min(hashes[i : i + w]) for i in range(len(hashes) - w + 1))


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    similarity: float


def similar_pairs(
    submissions: Iterable[tuple[str, str, Mapping[str, str]]], threshold: float = THRESHOLD
) -> list[Pair]:
    """``submissions``: (id, language, files). Pairs in the same language at or above
    ``threshold``, most similar first."""
    prints: list[tuple[str, str, frozenset[int]]] = []
    for key, language, files in submissions:
        tokens = normalized_tokens(files, language)
        if len(tokens) >= MIN_TOKENS:
            prints.append((key, language, fingerprints(tokens)))
    pairs = []
    for i, (a, lang_a, fa) in enumerate(prints):
        for b, lang_b, fb in prints[i + 1 :]:
            if lang_a == lang_b:
                score = similarity(fa, fb)
                if score >= threshold:
                    pairs.append(Pair(a, b, score))
    return sorted(pairs, key=lambda p: -p.similarity)
