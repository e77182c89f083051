"""Scoring throughput: the library's Python challenge (roman-numerals, its 10 submission tests on
the reference solution) scored through the REST API by 8 concurrent clients, against the same
test files run bare on the host in a loop by 8 concurrent workers, in the same run.

    .venv/bin/python -m bench.scoring_bench            # full run, rewrites docs/benchmarks.md
    .venv/bin/python -m bench.scoring_bench --quick    # short, prints only

Bare: Debian's ``/usr/bin/python3 -m pytest`` (python3-pytest: the interpreter and pytest the
sandbox's rootfs has), each worker in its own copy of the files. Duet: a real ``duet serve``
(SQLite, no Redis) per engine, ``POST /api/v1/executions`` in ``test`` mode with the files as
``server.hiring`` assembles a submission, every answer checked (10 passed, not tampered, sealed).
Rates are completed runs per second over the window (achieved, not offered). For Docker, the
table says where a run's time goes: the run's own wall time inside the container (the outcome's
``wall_ms``) against the end-to-end time a client saw, one client at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.exec_bench import Samples, process_cpu_seconds, saturate, timed
from bench.report import machine_line, replace_section
from server.hiring.folder import read_folder
from server.hiring.loader import load_challenge
from server.hiring.submission import submission_run_files
from tests.support.duet_cli import provision_admin
from tests.support.live_server import live_server

ROOT = Path(__file__).resolve().parent.parent
CHALLENGE = ROOT / "assessments" / "challenges" / "roman-numerals"
DOCS = ROOT / "docs" / "benchmarks.md"
TESTS = 10
TARGET_SHARE = 85.0
BARE_PYTHON = "/usr/bin/python3"


def submission() -> tuple[dict[str, str], list[str]]:
    """The reference solution as a submission, with the hidden tests; the tests' names."""
    challenge = load_challenge(read_folder(CHALLENGE))
    files = challenge.languages["python"]
    work = submission_run_files(challenge.code, files, dict(files.solution))
    names = [
        line.split("(")[0][4:]
        for line in files.submission_tests["test_main.py"].decode().splitlines()
        if line.startswith("def test_")
    ]
    if len(names) != TESTS:
        raise RuntimeError(f"{CHALLENGE.name} has {len(names)} submission tests, not {TESTS}")
    return {path: content.decode() for path, content in work.items()}, names


class Bare:
    """The tests run by pytest on the host, each worker in its own directory."""

    def __init__(self, root: Path, files: dict[str, str], workers: int) -> None:
        self.dirs: asyncio.Queue[Path] = asyncio.Queue()
        for n in range(workers):
            work = root / f"w{n}"
            work.mkdir()
            for path, content in files.items():
                (work / path).write_text(content)
            self.dirs.put_nowait(work)

    async def run(self) -> None:
        work = await self.dirs.get()
        try:
            process = await asyncio.create_subprocess_exec(
                BARE_PYTHON,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                cwd=work,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await process.communicate()
            if process.returncode != 0 or f"{TESTS} passed".encode() not in out:
                raise RuntimeError(f"the bare run failed: {out.decode()[-2000:]}")
        finally:
            self.dirs.put_nowait(work)


@dataclass
class EngineResult:
    label: str
    rate: float
    one: Samples
    inside_ms: list[float]
    server_cpu_ms_per_run: float


async def measure_engine(
    variant: str, files: dict[str, str], names: list[str], clients: int, seconds: float, n: int
) -> EngineResult:
    engine, _, oci = variant.partition(":")
    with tempfile.TemporaryDirectory(prefix=f"duet-scoring-{engine}-") as tmp:
        var = Path(tmp)
        database = f"sqlite:///{var / 'duet.db'}"
        extra = {"DUET_SANDBOX": engine, "DUET_DOCKER_RUNTIME": oci or "auto"}
        with live_server(var, database, extra_env=extra) as server:
            key = await asyncio.to_thread(provision_admin, var, database)
            limits = httpx.Limits(max_connections=clients + 2)
            async with httpx.AsyncClient(
                base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=120, limits=limits
            ) as client:
                inside: list[float] = []
                body = {
                    "language": "python",
                    "mode": "test",
                    "files": [{"path": p, "content": c} for p, c in files.items()],
                    "expected_tests": names,
                }

                async def score() -> None:
                    response = await client.post("/api/v1/executions", json=body)
                    result: dict[str, Any] = response.json()
                    tests = result.get("tests") if response.status_code == 200 else None
                    if not tests or tests["passed"] != TESTS or tests["tampered"] or not tests["verified"]:
                        detail = f"{response.text[:2000]}\n{server.log()}"
                        raise RuntimeError(f"a scoring run did not pass {TESTS} tests: {detail}")
                    inside.append(float(result["wall_ms"]))

                await timed(3, score)  # warm-up
                inside.clear()
                one = await timed(n, score)
                inside_one = list(inside)
                cpu_before = process_cpu_seconds(server.process.pid)
                rate = await saturate(clients, seconds, score)
                server_cpu = process_cpu_seconds(server.process.pid) - cpu_before
    label = f"`{engine}`" + (f" ({oci})" if oci else "")
    return EngineResult(label, rate, one, inside_one, 1000 * server_cpu / max(1.0, rate * seconds))


def render(
    bare_rate: float, bare_one: Samples, results: list[EngineResult], clients: int, seconds: float, n: int
) -> str:
    lines = [
        "Command: `make bench-scoring  # .venv/bin/python -m bench.scoring_bench`  ",
        f"Machine: {machine_line()}",
        "",
        f"The library's `{CHALLENGE.name}` challenge in Python: its {TESTS} submission tests on the reference"
        f" solution. Throughput: {clients} concurrent closed-loop clients for {seconds:.0f} s, completed runs"
        f" per second (achieved). One at a time: {n} runs back to back, end to end as the client saw them;"
        ' "inside" is the run\'s own wall time in the sandbox as the outcome reports it (`wall_ms`).',
        "",
        f"| | runs/s ({clients} clients) | share of bare | target"
        f" | one at a time p50 / {bare_one.tail_name} ms | inside p50 ms | Duet process CPU per run |",
        "|---|---|---|---|---|---|---|",
        f"| bare `{BARE_PYTHON} -m pytest` on the host | {bare_rate:.2f} | 100% |"
        f" | {bare_one.p(0.5):.0f} / {bare_one.tail():.0f} | | |",
    ]
    for r in results:
        share = 100 * r.rate / bare_rate
        verdict = "met" if share >= TARGET_SHARE else "**missed**"
        inside = sorted(r.inside_ms)[len(r.inside_ms) // 2] if r.inside_ms else float("nan")
        target = f"≥ {TARGET_SHARE:.0f}%: {verdict}" if r.label == "`bwrap`" else "(none)"
        lines.append(
            f"| {r.label} | {r.rate:.2f} | {share:.0f}% | {target} | {r.one.p(0.5):.0f} / {r.one.tail():.0f}"
            f" | {inside:.0f} | {r.server_cpu_ms_per_run:.1f} ms |"
        )
    return "\n".join(lines)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short; print, do not write the docs")
    parser.add_argument("--engines", default="bwrap,docker:crun", help="engines; Docker as docker:RUNTIME")
    args = parser.parse_args(argv)
    clients, seconds, n = (8, 5.0, 3) if args.quick else (8, 30.0, 20)
    if not shutil.which(BARE_PYTHON):
        raise RuntimeError(f"{BARE_PYTHON} is missing")
    files, names = submission()
    with tempfile.TemporaryDirectory(prefix="duet-scoring-bare-") as tmp:
        bare = Bare(Path(tmp), files, clients)
        await timed(2, bare.run)
        bare_one = await timed(n, bare.run)
        bare_rate = await saturate(clients, seconds, bare.run)
    results = [await measure_engine(v, files, names, clients, seconds, n) for v in args.engines.split(",")]
    table = render(bare_rate, bare_one, results, clients, seconds, n)
    print(table)
    if not args.quick:
        replace_section(DOCS, "scoring", table)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
