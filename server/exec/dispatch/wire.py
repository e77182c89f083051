"""RunSpec and RunResult as JSON, for runs that travel through the Redis job queue."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, fields
from typing import Any

from server.exec.sandbox import Limits, RunResult, RunSpec, Step


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def encode_spec(spec: RunSpec) -> dict[str, Any]:
    return {
        "files": {path: _b64(content) for path, content in spec.files.items()},
        "steps": [{"name": step.name, "argv": list(step.argv)} for step in spec.steps],
        "env": dict(spec.env),
        "limits": asdict(spec.limits),
        "stdin": _b64(spec.stdin),
        "collect": spec.collect,
    }


def decode_spec(data: dict[str, Any]) -> RunSpec:
    return RunSpec(
        files={str(path): _unb64(content) for path, content in data["files"].items()},
        steps=[Step(step["name"], tuple(str(a) for a in step["argv"])) for step in data["steps"]],
        env={str(k): str(v) for k, v in data["env"].items()},
        limits=Limits(**{f.name: data["limits"][f.name] for f in fields(Limits)}),
        stdin=_unb64(data["stdin"]),
        collect=bool(data["collect"]),
    )


def encode_result(result: RunResult) -> bytes:
    data = asdict(result)
    data["collected"] = {path: _b64(content) for path, content in result.collected.items()}
    return json.dumps(data).encode()


def decode_result(raw: bytes) -> RunResult:
    data = json.loads(raw)
    data["collected"] = {path: _unb64(content) for path, content in data["collected"].items()}
    return RunResult(**data)
