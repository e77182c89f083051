"""Assessment benchmark: 50 candidates hand in a two-challenge assessment (the Python `add`
challenge scored by 3 hidden pytest tests in the bwrap sandbox, and a 3-question
questionnaire) at the same moment; every score is checked against the expected one, and the
time from each hand-in to its score is measured.

    DUET_TEST_DATABASE_URL=postgresql://... .venv/bin/python -m bench.assessment_bench
    .venv/bin/python -m bench.assessment_bench --quick   # 10 candidates, one round, prints only

Half the candidates hand in the right code (score 100 for it), half the starter's (0), all the
right answers (100): the assessment scores 100 or 50. The hand-ins go through the attempt
service in this process (``AttemptService.submit``: the hand-in, the scoring with the Judge, the
result stored), without HTTP, on PostgreSQL, with `DUET_EXEC_SLOTS` runs at once (one per CPU
by default). Each round is 50 hand-ins at once; the percentiles are over all rounds' hand-ins.
A percentile is reported over at least 100 samples; below that the column says max.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import anyio

from bench.report import machine_line, replace_section
from server.accounts.models import OrgRole
from server.hiring.invitation_model import InvitationRequest
from server.settings import Settings
from server.web.services import Services, running_services
from tests.support.attempt_content import ADD_SOLUTION, QUIZ_RIGHT, import_duo
from tests.support.challenge_folders import ADD_FILES
from tests.support.databases import fresh_postgres


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def one_round(
    svc: Services, org_id: str, user_id: str, candidates: int
) -> tuple[list[float], float, int]:
    """(seconds from each hand-in to its score, the round's wall time, wrong scores)."""
    requests = [
        InvitationRequest(email=f"c{i}@example.com", name=f"Candidate {i}") for i in range(candidates)
    ]
    made = await svc.invitations.invite(org_id, user_id, "duo", requests)
    tokens = [url.rsplit("/", 1)[1] for _, url in made]
    expected: dict[str, float] = {}
    for index, (inv, _) in enumerate(made):
        token = tokens[index]
        await svc.attempts.start(token)
        right = index % 2 == 0
        code = ADD_SOLUTION if right else ADD_FILES["python/starter/main.py"]
        await svc.attempts.save(token, "add", language="python", files={"main.py": code}, answers={})
        await svc.attempts.save(token, "quiz", language=None, files={}, answers=QUIZ_RIGHT)
        expected[inv.id] = 100.0 if right else 50.0
    times: list[float] = []

    async def hand_in(token: str) -> None:
        began = time.perf_counter()
        await svc.attempts.submit(token)
        times.append(time.perf_counter() - began)

    began = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for token in tokens:
            tg.start_soon(hand_in, token)
    wall = time.perf_counter() - began
    wrong = 0
    for inv, _ in made:
        got, _ = await svc.invitations.get(org_id, inv.id)
        if got.score is None or abs(got.score - expected[inv.id]) > 1e-9:
            wrong += 1
    return times, wall, wrong


async def measure(candidates: int, rounds: int) -> tuple[list[float], list[float], int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_postgres() as url:
            settings = Settings(
                secret_key="bench-" + "x" * 40, var_dir=Path(tmp), database_url=url, sandbox="bwrap"
            )
            async with running_services(settings) as svc:
                org = await svc.accounts.default_organization()
                user = await svc.accounts.create_user(
                    org_id=org.id,
                    email="bench@example.com",
                    password="x" * 12,
                    role=OrgRole.ADMIN,
                    display_name="Bench",
                )
                await import_duo(svc, org.id)
                times: list[float] = []
                walls: list[float] = []
                wrong = 0
                for _ in range(rounds):
                    got, wall, bad = await one_round(svc, org.id, user.id, candidates)
                    times += got
                    walls.append(wall)
                    wrong += bad
                return times, walls, wrong, svc.settings.exec_slots or (os.cpu_count() or 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    candidates, rounds = (10, 1) if args.quick else (50, 3)
    machine = machine_line()
    times, walls, wrong, slots = anyio.run(measure, candidates, rounds)
    tail = f"{percentile(times, 0.99):.1f}" if len(times) >= 100 else f"{max(times):.1f} (max)"
    rows = [
        "| candidates at once | rounds | scored correctly | hand-in to score p50 (s) | p99 (s) | "
        "round wall time (s) | runs at once |",
        "|---|---|---|---|---|---|---|",
        f"| {candidates} | {rounds} | {len(times) - wrong} of {len(times)} | "
        f"{percentile(times, 0.5):.1f} | {tail} | {', '.join(f'{w:.1f}' for w in walls)} | {slots} |",
    ]
    body = "\n".join(
        [
            f"Machine: {machine}.",
            "",
            "Command: `DUET_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test "
            ".venv/bin/python -m bench.assessment_bench`",
            "",
            *rows,
            "",
            "Every hand-in waits for the sandbox: the scored runs queue behind the judge's limit "
            "(one run per CPU), so the time to score grows with the number of hand-ins ahead of it; "
            "the round's wall time divided by the candidates is the cost of one scoring here.",
        ]
    )
    print(body)
    if wrong:
        print(f"{wrong} scores were wrong", file=sys.stderr)
        raise SystemExit(1)
    if not args.quick:
        replace_section(Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md", "assessment", body)


if __name__ == "__main__":
    main()
