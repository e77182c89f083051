"""Invitations end to end over HTTP, on both databases and the real bwrap sandbox: the mail
reaches a real SMTP server (aiosmtpd) with the link, the candidate opens, starts, saves, runs
the samples and submits; the hidden tests score the code; reviewers read the result, the list
and the CSV, and decide. Nothing the candidate receives holds a secret."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest

from server.accounts.models import OrgRole
from server.settings import Settings
from tests.support.app_harness import AppHarness
from tests.support.attempt_content import ADD_SOLUTION, QUIZ_RIGHT, SECRETS, import_duo
from tests.support.polling import until
from tests.support.problems import assert_problem
from tests.support.smtp_sink import SmtpSink, smtp_sink

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, sink: SmtpSink) -> Settings:
    return replace(settings, smtp_host=sink.host, smtp_port=sink.port, public_link_starts_per_hour=2)


@pytest.fixture
async def duo(app: AppHarness, admin_headers: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    await import_duo(app.services, (await app.services.accounts.default_organization()).id)
    yield admin_headers


class Candidate:
    """The candidate's browser: every response it receives is kept, to look for secrets in."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client = client
        self.path = url.removeprefix("http://duet.test")
        self.received: list[str] = []

    async def call(self, method: str, tail: str = "", **kw: object) -> httpx.Response:
        response = await self.client.request(method, self.path + tail, **kw)  # type: ignore[arg-type]
        self.received.append(response.text)
        return response


async def invite(app: AppHarness, headers: dict[str, str], **extra: object) -> dict[str, object]:
    body = {"email": "ada@example.com", "name": "Ada Lovelace", "labels": ["backend"], **extra}
    created = await app.client.post("/api/v1/assessments/duo/invitations", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_the_invitation_mail_arrives_with_the_link(
    app: AppHarness, duo: dict[str, str], sink: SmtpSink
) -> None:
    made = await invite(app, duo, message="We liked your CV.", time_limit_minutes=20)
    assert made["state"] == "invited" and made["url"], made
    [mail] = await sink.wait_for(1)
    assert mail["To"] == "ada@example.com" and "Duo pre-screen" in mail["Subject"]
    text = mail.get_content()
    assert str(made["url"]) in text and "We liked your CV." in text and "20 minutes" in text

    # the outbox shows it sent
    async def sent() -> list[dict[str, object]]:
        return list((await app.client.get("/api/v1/mail", headers=duo)).json()["items"])

    [row] = await until(sent, lambda rows: rows[0]["status"] == "sent")
    assert row["recipient"] == "ada@example.com" and row["attempts"] == 1 and row["last_error"] == ""
    # the token itself is not in the database, only its digest
    from sqlalchemy import text as sql

    token = str(made["url"]).rsplit("/", 1)[1]
    async with app.services.db.session() as s:
        stored = (await s.execute(sql("SELECT token_hash FROM assessment_invitations"))).scalar_one()
    assert token not in stored and len(stored) == 64


async def test_a_candidate_completes_the_attempt_and_reviewers_see_the_result(
    app: AppHarness, duo: dict[str, str], sink: SmtpSink
) -> None:
    made = await invite(app, duo)
    [mail] = await sink.wait_for(1)
    link = next(line for line in mail.get_content().splitlines() if "/take/" in line).split()[-1]
    me = Candidate(app.client, link)

    page = await me.call("GET")
    assert page.status_code == 200 and "Duo pre-screen" in page.text and "30 minutes" in page.text
    assert (await me.call("GET", "/attempt")).json()["state"] == "opened"
    # nothing is saved before the start
    assert_problem(await me.call("PUT", "/challenges/quiz/work", json={"answers": {}}), 409, "conflict")

    started = (await me.call("POST", "/start")).json()
    assert started["state"] == "started" and started["deadline"] and started["pad_token"]
    assert [c["id"] for c in started["challenges"]] == ["add", "quiz"]
    again = (await me.call("POST", "/start")).json()
    assert again["deadline"] == started["deadline"] and again["session_id"] == started["session_id"]

    add = (await me.call("GET", "/challenges/add")).json()
    paths = {f["path"] for f in add["challenge"]["files"]}
    assert paths == {"main.py", "helpers.py", "test_main.py"} and add["saved"] is None
    files = {"main.py": ADD_SOLUTION, "test_main.py": "def test_mine():\n    assert True\n"}
    saved = await me.call("PUT", "/challenges/add/work", json={"language": "python", "files": files})
    assert saved.status_code == 200, saved.text
    # reopening the challenge (a new tab) gets the work back
    assert (await me.call("GET", "/challenges/add")).json()["saved"]["files"] == files
    run = (await me.call("POST", "/challenges/add/run", json={"language": "python", "files": files})).json()
    assert run["status"] == "ok" and {t["name"] for t in run["tests"]} == {"test_mine"}, run

    quiz = (await me.call("GET", "/challenges/quiz")).json()["challenge"]
    assert {q["id"] for q in quiz["questions"]} == {"authorised", "idempotent", "notice"}
    answers = {"answers": QUIZ_RIGHT}
    assert (await me.call("PUT", "/challenges/quiz/work", json=answers)).status_code == 200

    done = (await me.call("POST", "/submit")).json()
    assert done["state"] == "submitted" and done["pad_token"] is None
    assert (await me.call("POST", "/submit")).json()["state"] == "submitted"  # harmless twice
    assert_problem(await me.call("PUT", "/challenges/quiz/work", json=answers), 409, "conflict")
    assert "Thank you" in (await me.call("GET")).text

    # nothing the candidate received holds a secret (hidden tests, hidden file, solution, matchers)
    everything = "\n".join(me.received)
    assert [secret for secret in SECRETS if secret in everything] == []

    # reviewers: a reviewer of the organization reads the result, hidden tests included
    reviewer = await app.api_key(await app.member("rev@example.com", OrgRole.REVIEWER))
    result = (await app.client.get(f"/api/v1/invitations/{made['id']}", headers=reviewer)).json()
    assert result["invitation"]["state"] == "submitted" and result["invitation"]["url"] is None
    add_result = result["challenges"]["add"]
    assert {t["name"]: t["passed"] for t in add_result["tests"]} == {
        "test_small": True,
        "test_negative": True,
        "test_hidden_file": True,
    }
    assert add_result["files"]["main.py"] == ADD_SOLUTION and add_result["score"] == 100
    assert result["challenges"]["quiz"]["score"] == 100 and result["deal_breakers_missed"] == []
    assert result["invitation"]["score"] == 100 and result["invitation"]["passed"] is True
    assert result["playback_url"].endswith(f"/s/{started['session_id']}/playback")
    # the attempt is a recorded session, ended at the hand-in
    session = (await app.client.get(f"/api/v1/sessions/{started['session_id']}", headers=duo)).json()
    assert session["state"] == "ended"

    listed = (await app.client.get("/api/v1/assessments/duo/invitations?sort=score", headers=reviewer)).json()
    assert [(i["name"], i["score"]) for i in listed["items"]] == [("Ada Lovelace", 100)]
    exported = await app.client.get("/api/v1/assessments/duo/results.csv?label=backend", headers=reviewer)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.headers["content-type"].startswith("text/csv") and rows[0]["score"] == "100.00"
    assert (
        await app.client.get("/api/v1/assessments/duo/invitations?label=other", headers=reviewer)
    ).json() == {"items": []}

    decided = await app.client.post(
        f"/api/v1/invitations/{made['id']}/decision", json={"decision": "approved"}, headers=reviewer
    )
    assert decided.status_code == 200 and decided.json()["decision"] == "approved"


async def test_partial_work_scores_what_it_earns(app: AppHarness, duo: dict[str, str]) -> None:
    """Code never saved (not submitted) and a missed deal-breaker: the code scores 0 without a
    run, the assessment fails."""
    made = await invite(app, duo)
    me = Candidate(app.client, str(made["url"]))
    await me.call("POST", "/start")
    wrong = {"answers": {"authorised": {"choices": ["no"]}, "idempotent": {"choices": ["get", "post"]}}}
    await me.call("PUT", "/challenges/quiz/work", json=wrong)
    await me.call("POST", "/submit")
    result = (await app.client.get(f"/api/v1/invitations/{made['id']}", headers=duo)).json()
    assert result["challenges"]["add"]["score"] == 0
    assert (
        result["challenges"]["add"]["voided"] == "not submitted"
        and result["challenges"]["add"]["tests"] == []
    )
    # idempotent: GET 1 + POST -1 = 0 of 2; authorised 0 of 1; notice unanswered 0 of 1
    assert result["challenges"]["quiz"]["score"] == 0
    assert result["deal_breakers_missed"] == ["quiz/authorised"] and result["invitation"]["passed"] is False


async def test_the_deadline_submits_and_refuses_later_work(app: AppHarness, duo: dict[str, str]) -> None:
    end = datetime.now(UTC) + timedelta(seconds=3)
    made = await invite(app, duo, window_end=end.isoformat())
    me = Candidate(app.client, str(made["url"]))
    started = (await me.call("POST", "/start")).json()
    assert datetime.fromisoformat(started["deadline"]) == end
    await me.call("PUT", "/challenges/quiz/work", json={"answers": QUIZ_RIGHT})
    # nobody submits: the server hands the attempt in at the deadline
    await until(lambda: me.call("GET", "/attempt"), lambda r: r.json()["state"] == "submitted")
    late = await me.call("PUT", "/challenges/quiz/work", json={"answers": {}})
    assert_problem(late, 409, "conflict")

    # scoring follows the hand-in: the score is null until it is done
    async def result_now() -> dict[str, Any]:
        return dict((await app.client.get(f"/api/v1/invitations/{made['id']}", headers=duo)).json())

    result = await until(result_now, lambda r: r["invitation"]["score"] is not None)
    assert result["challenges"]["quiz"]["score"] == 100  # the work saved before the deadline counts
    assert datetime.fromisoformat(result["invitation"]["submitted_at"]) == end


async def test_roles_and_bad_input(app: AppHarness, duo: dict[str, str]) -> None:
    reviewer = await app.api_key(await app.member("rev@example.com", OrgRole.REVIEWER))
    refused = await app.client.post(
        "/api/v1/assessments/duo/invitations", json={"email": "a@b.co", "name": "A"}, headers=reviewer
    )
    assert_problem(refused, 403, "forbidden")
    other_org = await app.services.accounts.create_organization("Other")
    outsider = await app.api_key(await app.member("out@example.com", OrgRole.ADMIN, org_id=other_org.id))
    assert_problem(
        await app.client.get("/api/v1/assessments/duo/invitations", headers=outsider), 404, "not_found"
    )
    made = await invite(app, duo)
    assert_problem(
        await app.client.get(f"/api/v1/invitations/{made['id']}", headers=outsider), 404, "not_found"
    )
    # a candidate's token never opens the API
    token = str(made["url"]).rsplit("/", 1)[1]
    api = await app.client.get(
        "/api/v1/assessments/duo/invitations", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 401
    # not submitted: no decision
    assert_problem(
        await app.client.post(
            f"/api/v1/invitations/{made['id']}/decision", json={"decision": "approved"}, headers=duo
        ),
        409,
        "conflict",
    )
    # a CSV with one bad row invites nobody
    bad = "email,name,labels\nok@example.com,Ok,a;b\nnot-an-email,Bad,\n"
    refused = await app.client.post(
        "/api/v1/assessments/duo/invitations/bulk", json={"csv": bad}, headers=duo
    )
    assert_problem(refused, 422, "invalid_input")
    listed = (await app.client.get("/api/v1/assessments/duo/invitations", headers=duo)).json()["items"]
    assert [i["email"] for i in listed] == ["ada@example.com"]
    assert_problem(await app.client.get("/take/" + "x" * 43 + "/attempt"), 404, "not_found")


async def test_bulk_csv_invites_everyone(app: AppHarness, duo: dict[str, str], sink: SmtpSink) -> None:
    text = "email,name,labels,time_limit_minutes\na@example.com,Ann,x;y,15\nb@example.com,Bob,,\n"
    made = await app.client.post(
        "/api/v1/assessments/duo/invitations/bulk", json={"csv": text, "labels": ["batch-1"]}, headers=duo
    )
    assert made.status_code == 201, made.text
    items = made.json()["items"]
    assert [(i["name"], i["labels"], i["time_limit_minutes"]) for i in items] == [
        ("Ann", ["batch-1", "x", "y"], 15),
        ("Bob", ["batch-1"], None),
    ]
    mails = await sink.wait_for(2)
    assert {m["To"] for m in mails} == {"a@example.com", "b@example.com"}
    by_to = {m["To"]: m.get_content() for m in mails}
    assert all(str(i["url"]) in by_to[str(i["email"])] for i in items)


async def test_a_public_link_starts_attempts_up_to_its_rate(app: AppHarness, duo: dict[str, str]) -> None:
    link = await app.client.post(
        "/api/v1/assessments/duo/public-links", json={"labels": ["fair"]}, headers=duo
    )
    assert link.status_code == 201
    path = link.json()["url"].removeprefix("http://duet.test")
    page = await app.client.get(path)
    assert page.status_code == 200 and "Duo pre-screen" in page.text
    csrf_token = page.text.split('name="csrf" value="')[1].split('"')[0]
    form = {"name": "Pat", "email": "pat@example.com", "csrf": csrf_token}
    first = await app.client.post(path, data=form)
    assert first.status_code == 303 and first.headers["location"].startswith("/take/")
    assert (await app.client.get(first.headers["location"] + "/attempt")).json()["state"] == "opened"
    assert (await app.client.post(path, data=form)).status_code == 303
    assert (await app.client.post(path, data=form)).status_code == 429  # two an hour in this test
    listed = (await app.client.get("/api/v1/assessments/duo/invitations", headers=duo)).json()["items"]
    assert {(i["name"], tuple(i["labels"])) for i in listed} == {("Pat", ("fair",))}
    revoked = await app.client.delete(f"/api/v1/public-links/{link.json()['id']}", headers=duo)
    assert revoked.status_code == 204
    assert (await app.client.get(path)).status_code == 403


RENAMED_SOLUTION = "from helpers import check\n\n\ndef add(x, y):\n    # mine\n    return x   +   y\n"


async def test_copies_are_flagged_for_reviewers(app: AppHarness, duo: dict[str, str]) -> None:
    """Two candidates hand in the same code under other names and another layout: each result
    names the other. (Tiny code is below the similarity check's minimum: pad it alike.)"""
    body = "\n".join(
        f"def helper_{i}(values):\n    return [v * {i} for v in values if v > {i}]\n" for i in range(4)
    )
    ids = []
    for index, (name, code) in enumerate(
        [("Ann", ADD_SOLUTION + body), ("Bob", RENAMED_SOLUTION + body.replace("values", "xs"))]
    ):
        made = await invite(app, duo, email=f"c{index}@example.com", name=name)
        me = Candidate(app.client, str(made["url"]))
        await me.call("POST", "/start")
        await me.call("PUT", "/challenges/add/work", json={"language": "python", "files": {"main.py": code}})
        await me.call("POST", "/submit")
        ids.append(str(made["id"]))
    first = (await app.client.get(f"/api/v1/invitations/{ids[0]}", headers=duo)).json()
    assert [(s["challenge"], s["other_name"]) for s in first["similar"]] == [("add", "Bob")]
    assert first["similar"][0]["similarity"] >= 0.8


async def test_work_is_bounded(app: AppHarness, duo: dict[str, str]) -> None:
    made = await invite(app, duo)
    me = Candidate(app.client, str(made["url"]))
    await me.call("POST", "/start")
    work = "/challenges/add/work"
    too_big = {"language": "python", "files": {"main.py": "x" * (1024 * 1024 + 1)}}
    assert_problem(await me.call("PUT", work, json=too_big), 413, "payload_too_large")
    many = {"language": "python", "files": {f"f{i}.py": "" for i in range(51)}}
    assert (await me.call("PUT", work, json=many)).status_code == 422
    for path in ("../etc/passwd", "/abs.py", "a//b.py", ""):
        bad = {"language": "python", "files": {path: "x"}}
        assert_problem(await me.call("PUT", work, json=bad), 422, "invalid_input")
    assert_problem(await me.call("PUT", work, json={"language": "cobol", "files": {}}), 422, "invalid_input")
    assert_problem(await me.call("GET", "/challenges/nope"), 404, "not_found")
    # nothing of it was stored
    assert (await me.call("GET", "/challenges/add")).json()["saved"] is None


async def test_concurrent_starts_and_submits_count_once(app: AppHarness, duo: dict[str, str]) -> None:
    made = await invite(app, duo)
    me = Candidate(app.client, str(made["url"]))
    starts: list[dict[str, Any]] = []
    async with anyio.create_task_group() as tg:
        for _ in range(4):

            async def start() -> None:
                starts.append((await me.call("POST", "/start")).json())

            tg.start_soon(start)
    # one start claimed the attempt; the others saw it started (with its session, or not yet)
    session_id = (await me.call("GET", "/attempt")).json()["session_id"]
    assert session_id and {s["session_id"] for s in starts} <= {session_id, None}
    assert len({s["deadline"] for s in starts}) == 1
    await me.call("PUT", "/challenges/quiz/work", json={"answers": QUIZ_RIGHT})
    states: list[str] = []
    async with anyio.create_task_group() as tg:
        for _ in range(4):

            async def submit() -> None:
                states.append((await me.call("POST", "/submit")).json()["state"])

            tg.start_soon(submit)
    assert states == ["submitted"] * 4
    listed = (await app.client.get("/api/v1/sessions", headers=duo)).json()["items"]
    assert len(listed) == 1  # one session for the attempt, however many starts raced


async def test_saves_and_sample_runs_have_a_quota(app: AppHarness, duo: dict[str, str]) -> None:
    made = await invite(app, duo)
    me = Candidate(app.client, str(made["url"]))
    await me.call("POST", "/start")
    body = {"language": "python", "files": {"main.py": ADD_SOLUTION}}
    # two sample runs at once: one runs, the other is refused
    answers: list[int] = []
    async with anyio.create_task_group() as tg:
        for _ in range(2):

            async def run() -> None:
                answers.append((await me.call("POST", "/challenges/add/run", json=body)).status_code)

            tg.start_soon(run)
    assert sorted(answers) == [200, 429]
    # a flood of saves: 240 a minute, then 429 (and the last good save is what is kept)
    codes = [(await me.call("PUT", "/challenges/add/work", json=body)).status_code for _ in range(241)]
    assert codes[:240] == [200] * 240 and codes[240] == 429
    flood = {"language": "python", "files": {"main.py": "refused"}}
    assert_problem(await me.call("PUT", "/challenges/add/work", json=flood), 429, "rate_limited")
    assert (await me.call("GET", "/challenges/add")).json()["saved"]["files"] == body["files"]


async def test_the_access_window_and_the_expiry(app: AppHarness, duo: dict[str, str]) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    early = await invite(app, duo, window_start=later.isoformat())
    me = Candidate(app.client, str(early["url"]))
    assert (await me.call("GET", "/attempt")).json()["state"] == "opened"
    refused = await me.call("POST", "/start")
    assert assert_problem(refused, 403, "forbidden")["details"]["reason"] == "not_open_yet"
    assert (await me.call("GET", "/attempt")).json()["state"] == "opened"  # nothing started

    past = datetime.now(UTC) - timedelta(minutes=1)
    late = await invite(app, duo, email="late@example.com", window_end=past.isoformat())
    assert late["state"] == "expired"
    gone = await Candidate(app.client, str(late["url"])).call("POST", "/start")
    assert_problem(gone, 410, "gone")
    assert_problem(
        await app.client.post(
            "/api/v1/assessments/duo/invitations",
            json={"email": "x@example.com", "name": "X", "expires_at": past.isoformat()},
            headers=duo,
        ),
        422,
        "invalid_input",
    )
    listed = await app.client.get("/api/v1/assessments/duo/invitations?state=expired", headers=duo)
    assert [i["email"] for i in listed.json()["items"]] == ["late@example.com"]
