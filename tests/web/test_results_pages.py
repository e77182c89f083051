"""The members' assessment pages over HTTP: invite (a form, a CSV upload, a public link),
the results list (filter, sort, CSV), a result, approve; the roles and the CSRF check."""

from __future__ import annotations

import pytest

from server.accounts.models import OrgRole
from tests.support.app_harness import AppHarness
from tests.support.attempt_content import QUIZ_RIGHT, import_duo
from tests.support.challenge_folders import ADD_FILES
from tests.support.member_pages import HTML, csrf_from, sign_in

pytestmark = pytest.mark.anyio


async def _duo(app: AppHarness) -> None:
    await import_duo(app.services, (await app.services.accounts.default_organization()).id)


async def test_an_interviewer_invites_and_reviews_from_the_pages(app: AppHarness) -> None:
    await _duo(app)
    await sign_in(app, "int@example.com", OrgRole.INTERVIEWER)
    listing = await app.client.get("/assessments", headers=HTML)
    assert listing.status_code == 200 and "/assessments/duo/results" in listing.text
    page = await app.client.get("/assessments/duo/results", headers=HTML)
    token = csrf_from(page.text)
    invited = await app.client.post(
        "/assessments/duo/invite",
        data={
            "name": "Ada",
            "email": "ada@example.com",
            "labels": "x, y",
            "time_limit_minutes": "15",
            "csrf": token,
        },
        headers=HTML,
    )
    assert invited.status_code == 200 and "Invited Ada" in invited.text and "/take/" in invited.text
    csv_text = b"email,name\nb@example.com,Bob\nc@example.com,Cy\n"
    uploaded = await app.client.post(
        "/assessments/duo/invite-csv",
        data={"labels": "batch", "csrf": token},
        files={"file": ("people.csv", csv_text, "text/csv")},
        headers=HTML,
    )
    assert uploaded.status_code == 200 and "Invited 2 candidates" in uploaded.text
    public = await app.client.post("/assessments/duo/public-link", data={"csrf": token}, headers=HTML)
    assert "/take/public/" in public.text
    items = await app.services.invitations.search(
        (await app.services.accounts.default_organization()).id, "duo"
    )
    assert {(i.name, i.labels, i.time_limit_minutes) for i in items} == {
        ("Ada", ("x", "y"), 15),
        ("Bob", ("batch",), None),
        ("Cy", ("batch",), None),
    }

    # Ada takes it (the candidate's endpoints), then the pages show and decide
    ada = next(i for i in items if i.name == "Ada")
    url = await app.services.invitations.link(ada.org_id, ada.id)
    path = url.removeprefix("http://duet.test")
    await app.client.post(f"{path}/start")
    await app.client.put(f"{path}/challenges/quiz/work", json={"answers": QUIZ_RIGHT})
    wrong = {"language": "python", "files": {"main.py": ADD_FILES["python/starter/main.py"]}}
    await app.client.put(f"{path}/challenges/add/work", json=wrong)
    await app.client.post(f"{path}/submit")
    filtered = await app.client.get("/assessments/duo/results?state=submitted&sort=score", headers=HTML)
    assert "Ada" in filtered.text and "Bob" not in filtered.text and "50.0 (passed)" in filtered.text
    exported = await app.client.get("/assessments/duo/results.csv?label=batch", headers=HTML)
    assert exported.headers["content-type"].startswith("text/csv") and "Bob" in exported.text
    assert "Ada" not in exported.text
    result = await app.client.get(f"/results/{ada.id}", headers=HTML)
    assert result.status_code == 200 and "test_hidden_file" in result.text and "Approve" in result.text
    refused = await app.client.post(
        f"/results/{ada.id}/decision", data={"decision": "rejected", "csrf": "0" * 64}, headers=HTML
    )
    assert refused.status_code == 403
    decided = await app.client.post(
        f"/results/{ada.id}/decision", data={"decision": "rejected", "csrf": token}, headers=HTML
    )
    assert decided.status_code == 303
    assert (
        "decision: <strong>rejected</strong>"
        in (await app.client.get(f"/results/{ada.id}", headers=HTML)).text
    )


async def test_reviewers_read_but_do_not_invite_and_strangers_sign_in(app: AppHarness) -> None:
    await _duo(app)
    anonymous = await app.client.get("/assessments/duo/results", headers=HTML)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    await sign_in(app, "rev@example.com", OrgRole.REVIEWER)
    page = await app.client.get("/assessments/duo/results", headers=HTML)
    assert page.status_code == 200 and "Invite candidates" not in page.text
    refused = await app.client.post(
        "/assessments/duo/invite",
        data={"name": "A", "email": "a@example.com", "csrf": csrf_from(page.text)},
        headers=HTML,
    )
    assert refused.status_code == 403
    assert (await app.client.get("/assessments/nope/results", headers=HTML)).status_code == 404
