"""YAML read with PyYAML's SafeLoader, keeping each node's line so that a schema error can say
where it is (``line_of``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from server.hiring.problems import ContentInvalid, ContentProblem

#: A location inside the document as pydantic reports it: keys and list indexes.
Location = Sequence[str | int]


@dataclass(frozen=True, slots=True)
class MarkedDocument:
    data: object
    root: yaml.Node | None

    def line_of(self, location: Location) -> int | None:
        """The 1-based line of the deepest node on ``location`` that exists (a missing key is
        reported at the mapping that should have it). Parts that name no node (pydantic puts a
        union's tag into its locations) are skipped."""
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in location:
            child = _child(node, part)
            if child is None:
                continue
            node = child
            line = node.start_mark.line + 1
        return line

    def shown(self, location: Location) -> str:
        """``location`` as a dotted path of the document's own keys: pydantic's union tags (a
        part naming no node, before the last part) are left out."""
        node, parts = self.root, []
        for index, part in enumerate(location):
            child = _child(node, part) if node is not None else None
            if child is None and index < len(location) - 1:
                continue
            parts.append(str(part))
            node = child
        return ".".join(parts) or "(document)"


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                found: yaml.Node = value
                return found
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        child: yaml.Node = node.value[part]
        return child
    return None


def load_marked(text: str, file: str) -> MarkedDocument:
    """Parse one YAML document; a syntax error is a ContentInvalid at its line."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ContentInvalid([ContentProblem(file, line, f"not valid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise ContentInvalid([ContentProblem(file, None, f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return MarkedDocument(data, root)
