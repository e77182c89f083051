"""An assessment end to end in real headless Chromium against a real server: an interviewer
invites, the mail arrives at a real SMTP server (aiosmtpd), the candidate follows its link and
completes a two-challenge assessment (code, then Q&A) with the keyboard only, every candidate
page has no axe-core violation, nothing the candidate's browser receives (HTTP responses and
websocket frames) holds a secret, the score is the expected one, and a reviewer sees the result
and plays the attempt back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, WebSocket, expect

from server.accounts.models import OrgRole
from server.hiring.assessment import load_assessment
from server.hiring.invitation_model import InvitationRequest
from server.hiring.loader import load_challenge
from server.settings import Settings
from tests.support.app_harness import PASSWORD
from tests.support.attempt_content import ADD_SOLUTION, SECRETS, import_duo
from tests.support.challenge_folders import LIBRARY
from tests.support.live_app import LiveApp, http_base, live_app
from tests.support.live_server import LIVE_SECRET
from tests.support.polling import until
from tests.support.smtp_sink import SmtpSink, smtp_sink

pytestmark = [pytest.mark.anyio, pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: add: 100 (the right code, every hidden test); quiz: authorised 1 of 1, idempotent GET only
#: 0.5 of 1, notice 1 of 1 -> 2.5 of 3; the mean of 100 and 83.33...
EXPECTED_SCORE = (100 + 100 * 2.5 / 3) / 2


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as server:
        yield server


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


@pytest.fixture
async def site(tmp_path: Path, database_url: str, sink: SmtpSink) -> AsyncIterator[LiveApp]:
    settings = Settings(
        secret_key=LIVE_SECRET,
        var_dir=tmp_path,
        database_url=database_url,
        sandbox="bwrap",
        smtp_host=sink.host,
        smtp_port=sink.port,
    )
    async with live_app(replace(settings), own_base_url=True) as app:
        yield app


class Watch:
    """Everything the candidate's browser receives: response bodies and websocket frames."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        page.on("response", self._response)
        page.on("websocket", self._socket)

    async def _response(self, response: Any) -> None:
        try:
            self.seen.append((await response.body()).decode("latin-1"))
        except Exception:  # noqa: BLE001 - a redirect or a body the browser dropped has none
            self.seen.append(response.url)

    def _socket(self, socket: WebSocket) -> None:
        socket.on(
            "framereceived",
            lambda frame: self.seen.append(frame.decode("latin-1") if isinstance(frame, bytes) else frame),
        )

    def leaked(self) -> list[str]:
        everything = "\n".join(self.seen)
        return [secret for secret in SECRETS if secret in everything]


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    await page.add_script_tag(content=AXE.read_text())
    result = await page.evaluate(
        "async () => (await axe.run(document, {runOnly: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})).violations"
    )
    return [{"id": v["id"], "nodes": [n["html"] for n in v["nodes"]][:3]} for v in result]


async def tab_to(page: Page, target: Locator, *, limit: int = 60) -> None:
    """Press Tab until ``target`` has the focus: it is reachable with the keyboard."""
    handle = await target.element_handle()
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("(el) => document.activeElement === el", handle):
            return
    raise AssertionError(f"{target} is not reachable with Tab")


async def test_invite_complete_score_review_and_play_back(
    browser: Browser, site: LiveApp, sink: SmtpSink
) -> None:
    base = http_base(site.base)
    org = (await site.services.accounts.default_organization()).id
    await import_duo(site.services, org)
    admin = await site.services.accounts.create_user(
        org_id=org, email="admin@example.com", password=PASSWORD, role=OrgRole.ADMIN, display_name="Admin"
    )
    _, key = await site.services.accounts.create_api_key(admin, "tests")
    await site.services.accounts.create_user(
        org_id=org, email="rev@example.com", password=PASSWORD, role=OrgRole.REVIEWER, display_name="Rev"
    )
    api = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"})
    made = await api.post(
        "/api/v1/assessments/duo/invitations", json={"email": "ada@example.com", "name": "Ada Lovelace"}
    )
    assert made.status_code == 201, made.text

    # the mail arrives with the link
    [mail] = await sink.wait_for(1)
    link = next(line for line in mail.get_content().splitlines() if "/take/" in line).split()[-1]
    assert link == made.json()["url"] and link.startswith(base)

    # bypass_csp: axe-core is injected as an inline script; the page's own policy allows none
    page = await (await browser.new_context(bypass_csp=True)).new_page()
    watch = Watch(page)
    await page.goto(link)
    await expect(page.get_by_role("heading", name="Duo pre-screen")).to_be_visible()
    assert await axe_violations(page) == []

    # start with the keyboard; the timer shows
    await tab_to(page, page.get_by_role("button", name="Start the assessment"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("timer")).to_contain_text(":")
    await expect(page.locator("#take-editor .cm-content")).to_be_visible()
    assert await axe_violations(page) == []

    # the code: select everything in main.py and write the solution
    await tab_to(page, page.locator("#take-editor .cm-content"))
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(ADD_SOLUTION)
    await expect(page.get_by_role("status")).to_have_text("All changes saved.")
    await page.keyboard.press("Escape")  # in the editor Tab indents; Escape, then Tab leaves it
    await tab_to(page, page.get_by_role("button", name="Run the sample tests"))
    await page.keyboard.press("Enter")
    await expect(page.locator("#take-console")).to_contain_text("PASS test_small", timeout=60_000)

    # a paste from outside the editor is an integrity signal, recorded as in a live session
    # (dispatched on the editor's box: the editor itself would insert the text)
    await page.evaluate(
        """() => {
          const data = new DataTransfer();
          data.setData('text/plain', 'copied from elsewhere');
          document.getElementById('take-editor').dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true}));
        }"""
    )

    # the questionnaire
    await tab_to(page, page.get_by_role("button", name="2. Quick quiz"))
    await page.keyboard.press("Enter")
    await expect(page.locator("#take-questions")).to_be_visible()
    assert await axe_violations(page) == []
    # choices come in this attempt's own order: Tab enters the group, the arrows pick
    await tab_to(page, page.locator("input[name=q-authorised]").first)
    await page.keyboard.press("Space")
    for _ in range(3):
        if await page.get_by_role("radio", name="Yes").is_checked():
            break
        await page.keyboard.press("ArrowDown")
    await expect(page.get_by_role("radio", name="Yes")).to_be_checked()
    await tab_to(page, page.get_by_role("checkbox", name="GET"))
    await page.keyboard.press("Space")
    await tab_to(page, page.get_by_role("textbox", name="What is your notice period?"))
    await page.keyboard.type("4 weeks")
    await expect(page.get_by_role("status")).to_have_text("All changes saved.")

    # closing the tab loses nothing: a new tab continues where it was
    again = await (await browser.new_context()).new_page()
    watch_again = Watch(again)
    await again.goto(link)
    await again.get_by_role("button", name="2. Quick quiz").click()
    await expect(again.get_by_role("radio", name="Yes")).to_be_checked()
    await expect(again.get_by_role("textbox", name="What is your notice period?")).to_have_value("4 weeks")
    await again.get_by_role("button", name="1. Add two numbers").click()
    await expect(again.locator("#take-editor .cm-content")).to_contain_text("return a + b")
    await again.close()

    # submit, confirmed, with the keyboard
    await tab_to(page, page.get_by_role("button", name="Submit the assessment"))
    await page.keyboard.press("Enter")
    await page.keyboard.press("Enter")  # the focus moved to "Yes, submit now"
    await expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert await axe_violations(page) == []
    await page.reload()
    await expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    await expect(page.locator("#take-thanks")).to_contain_text("was submitted")

    # nothing the candidate received holds a secret
    assert watch.leaked() == [] and watch_again.leaked() == []
    assert any("test_small" in text for text in watch.seen)  # the watch did see the sample run

    # the score
    async def result() -> dict[str, Any]:
        return dict((await api.get(f"/api/v1/invitations/{made.json()['id']}")).json())

    scored = await until(result, lambda r: r["invitation"]["score"] is not None)
    assert scored["invitation"]["score"] == pytest.approx(EXPECTED_SCORE)
    assert scored["challenges"]["add"]["score"] == 100
    assert scored["challenges"]["quiz"]["score"] == pytest.approx(250 / 3)
    pastes = [s for s in scored["integrity"] if s["kind"] == "paste"]
    assert pastes and pastes[0]["external"] is True and pastes[0]["chars"] == len("copied from elsewhere")

    # a reviewer signs in, finds the attempt in the results list, reads it, approves it, and
    # plays it back
    reviewer = await (await browser.new_context()).new_page()
    await reviewer.goto(f"{base}/login?next=/assessments/duo/results?sort=score")
    await reviewer.get_by_label("Email").fill("rev@example.com")
    await reviewer.get_by_label("Password").fill(PASSWORD)
    await reviewer.get_by_role("button", name="Sign in").click()
    row = reviewer.get_by_test_id("results").locator("tbody tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text(f"{EXPECTED_SCORE:.1f} (passed)")
    await row.get_by_role("link", name="Ada Lovelace").click()
    await expect(reviewer.get_by_test_id("result-score")).to_contain_text(f"{EXPECTED_SCORE:.2f}")
    await expect(reviewer.locator("main")).to_contain_text("test_hidden_file")  # hidden tests, for reviewers
    await expect(reviewer.locator("pre.code").first).to_be_visible()
    await expect(reviewer.locator("main")).to_contain_text("paste · 21 characters · from outside the editor")
    await reviewer.get_by_role("button", name="Approve").click()
    await expect(reviewer.get_by_test_id("result-state")).to_contain_text("approved")
    await reviewer.get_by_test_id("playback-link").click()
    await expect(reviewer.locator("#playback-root")).to_have_attribute("data-ready", "true")
    await reviewer.locator("#timeline").focus()
    await reviewer.keyboard.press("End")
    await reviewer.locator("#file-list button", has_text="add/main.py").click()
    await expect(reviewer.locator(".cm-content")).to_contain_text("return a + b")
    await api.aclose()


async def test_the_public_link_and_the_expired_pages_are_accessible(browser: Browser, site: LiveApp) -> None:
    base = http_base(site.base)
    org = (await site.services.accounts.default_organization()).id
    await import_duo(site.services, org)
    admin = await site.services.accounts.create_user(
        org_id=org, email="admin@example.com", password=PASSWORD, role=OrgRole.ADMIN, display_name="Admin"
    )
    _, key = await site.services.accounts.create_api_key(admin, "tests")
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as api:
        link = (await api.post("/api/v1/assessments/duo/public-links", json={})).json()["url"]
    page = await (await browser.new_context(bypass_csp=True)).new_page()
    await page.goto(link)
    assert await axe_violations(page) == []
    # keyboard only: name, email, continue
    await tab_to(page, page.get_by_label("Your name"))
    await page.keyboard.type("Pat")
    await page.keyboard.press("Tab")
    await page.keyboard.type("pat@example.com")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("button", name="Start the assessment")).to_be_visible()
    assert "/take/" in page.url and "/public/" not in page.url
    assert await axe_violations(page) == []
    # an unknown link: the error page
    await page.goto(f"{base}/take/{'x' * 43}")
    assert await axe_violations(page) == []


async def test_the_candidate_picks_the_language_of_a_challenge(browser: Browser, site: LiveApp) -> None:
    org = (await site.services.accounts.default_organization()).id
    folder = LIBRARY / "challenges" / "fizzbuzz"
    raw = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    await site.services.content.import_challenge(org, load_challenge(raw), raw, {})
    text = (
        "id: pick\ntitle: Pick a language\ntime_limit_minutes: 10\npassing_score: 50\n"
        "languages: [python, javascript]\nchallenges:\n  - challenge: fizzbuzz\n"
    )
    await site.services.content.import_assessment(org, load_assessment(text, "pick.yaml"), text)
    admin = await site.services.accounts.create_user(
        org_id=org, email="admin@example.com", password=PASSWORD, role=OrgRole.ADMIN, display_name="Admin"
    )
    [(_, link)] = await site.services.invitations.invite(
        org, admin.id, "pick", [InvitationRequest(email="ada@example.com", name="Ada")]
    )
    page = await (await browser.new_context(bypass_csp=True)).new_page()
    await page.goto(link)
    await page.get_by_role("button", name="Start the assessment").click()
    picker = page.get_by_label("Language")
    await expect(picker).to_have_value("python")
    await expect(page.get_by_role("tab", name="main.py", exact=True)).to_be_visible()
    assert await axe_violations(page) == []
    await tab_to(page, picker)
    await page.keyboard.press("ArrowDown")  # a focused select changes with the arrows
    await expect(page.get_by_role("tab", name="main.js", exact=True)).to_be_visible()
    await expect(page.get_by_label("Language")).to_have_value("javascript")
    await page.locator("#take-editor .cm-content").click()
    await page.keyboard.insert_text("// mine\n")
    await expect(page.get_by_role("status")).to_have_text("All changes saved.")
    token = link.rsplit("/", 1)[1]
    _, saved, _ = await site.services.attempts.view(token, "fizzbuzz", None)
    assert saved is not None and saved.language == "javascript" and "// mine" in saved.files["main.js"]
