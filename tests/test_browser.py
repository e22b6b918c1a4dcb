"""The web app in a real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Screenshots of every step go to artifacts/screenshots/ (gitignored). Never runs
`playwright install`: the system Chromium is used, or the tests are skipped.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from .live import IMAGE, INJECTION_Q, LINK, SCRIPT, TRUCKS_Q, LiveApp

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT = 60_000  # ms; the first answer may warm caches

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing: install Debian's chromium "
        "(apt-get install -y chromium chromium-driver) to run the browser tests",
    ),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT)
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(d):
        dialogs.append(d.message)
        d.dismiss()

    pg.on("dialog", on_dialog)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.dialogs, pg.errors = dialogs, errors  # type: ignore[attr-defined]
    yield pg
    ctx.close()


def shot(pg, name: str, full_page: bool = True) -> None:
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def open_app(pg, url: str) -> None:
    pg.goto(url)
    pg.wait_for_selector("#cp-question textarea")


def cells(table, text: str):
    """Visible data cells of a Gradio dataframe with exactly this text (skips its sizing row)."""
    return table.get_by_test_id(re.compile(r"^cell-\d+-\d+$")).get_by_text(text, exact=True)


def ask(pg, question: str) -> None:
    box = pg.locator("#cp-question textarea")
    box.fill(question)
    pg.click("#cp-ask")


def test_chat_answer_and_claims_tab(page, live_app):
    pg = page
    open_app(pg, live_app.url)
    shot(pg, "01-home")

    ask(pg, TRUCKS_Q)
    latest = pg.locator("#cp-chat .cp-latest")
    latest.get_by_text("The essay claims (contested source)").wait_for()
    latest.get_by_text("Mainstream literature says").wait_for()
    badge = latest.locator(".cp-verdict .cp-badge").first
    badge.wait_for()
    assert badge.locator(".cp-badge-text").inner_text().strip() == "contradicted"  # text, not colour alone
    assert "reviewed claim C45" in latest.locator(".cp-verdict").first.inner_text()
    assert latest.locator("table.cp-figs").get_by_text("750,000 [E1]").count() >= 1
    assert latest.get_by_text("About this source: Inconvenient History / CODOH").is_visible()
    with pg.expect_download() as dl:  # the answer downloads as Markdown
        pg.click("#cp-dl-md")
    md = Path(dl.value.path()).read_text(encoding="utf-8")
    assert md.startswith(f"## {TRUCKS_Q}") and "[L1]" in md and "contradicted" in md
    shot(pg, "02-answer-contradicted")

    # A citation <details> opens to the full passage and the full citation of each work.
    lit = latest.locator(".cp-col-lit .cp-passage").first
    citation = lit.locator("ul.cp-cites li").first
    assert not citation.is_visible()
    lit.locator("details.cp-more > summary").click()
    citation.wait_for(state="visible")
    assert "The Strange Alliance" in lit.locator("ul.cp-cites").inner_text()
    assert lit.locator(".cp-full mark").is_visible()  # the quote, highlighted in the full passage
    essay = latest.locator(".cp-col-essay .cp-passage").first
    essay.locator("details.cp-more > summary").click()
    essay.get_by_text("The essay's own notes (resolved):").wait_for(state="visible")
    assert re.search(r"\[29\] Mosier", essay.locator("ul.cp-cites").inner_text())
    latest.locator(".cp-prov > summary").click()
    latest.locator(".cp-prov").get_by_text("Committee for Open Debate on the Holocaust").first.wait_for()
    shot(pg, "03-citation-expanded")

    # A follow-up builds on the first question; the first turn stays available, collapsed.
    ask(pg, "And the tanks?")
    pg.locator("#cp-chat .cp-latest .cp-q", has_text="And the tanks?").wait_for()
    assert "Read as a follow-up" in pg.locator("#cp-chat .cp-latest").inner_text()
    pg.locator("#cp-chat .cp-earlier > summary", has_text="Earlier in this conversation (1)").wait_for()
    shot(pg, "04-follow-up")

    # Claims tab: filter by verdict, then search; the table shrinks and keeps C45.
    pg.get_by_role("tab", name="Claims").click()
    table = pg.locator("#cp-claims-table")
    cells(table, "C01").wait_for()
    total = int(pg.locator("#cp-claim-count").get_attribute("data-count"))
    rows_before = table.locator("[role=row]").count()
    shot(pg, "05-claims-tab")
    pg.locator("#cp-verdict-filter input").click()
    pg.get_by_role("option", name=re.compile(r"^contradicted")).click()
    pg.wait_for_function(f"() => document.querySelector('#cp-claim-count')?.dataset.count !== '{total}'")
    n_contradicted = int(pg.locator("#cp-claim-count").get_attribute("data-count"))
    assert 0 < n_contradicted < total
    assert table.locator("[role=row]").count() < rows_before
    cells(table, "C45").wait_for()
    assert cells(table, "needs-context").count() == 0
    shot(pg, "06-claims-contradicted")
    pg.locator("#cp-claim-search input, #cp-claim-search textarea").first.fill("trucks")
    pg.wait_for_function(
        f"() => document.querySelector('#cp-claim-count')?.dataset.count !== '{n_contradicted}'"
    )
    assert int(pg.locator("#cp-claim-count").get_attribute("data-count")) < n_contradicted
    cells(table, "C45").wait_for()
    shot(pg, "07-claims-trucks")

    # Selecting the row shows the claim side by side.
    cells(table, "C45").click()
    view = pg.locator("#cp-claim-view")
    view.locator(".cp-cols").wait_for()
    assert view.locator(".cp-badge-text").first.inner_text().strip() == "contradicted"
    assert "750,000" in view.inner_text()
    view.get_by_text("Mainstream literature says").wait_for()
    shot(pg, "08-claim-C45")
    with pg.expect_download() as dl:  # the full claim report as ClaimReview JSON-LD
        pg.click("#cp-dl-claimreview")
    assert '"@type": "ClaimReview"' in Path(dl.value.path()).read_text(encoding="utf-8")

    pg.get_by_role("tab", name="Sources").click()
    pg.locator("#cp-sources #src-h-refs").wait_for()
    assert pg.locator("#src-inconvenient-history-codoh").is_visible()
    shot(pg, "09-sources", full_page=False)
    pg.get_by_role("tab", name="About").click()
    pg.locator("#cp-about").get_by_text("How an answer is made").wait_for()
    shot(pg, "10-about", full_page=False)
    assert not pg.dialogs and not pg.errors


def test_gentle_messages_and_abstention(page, live_app):
    pg = page
    open_app(pg, live_app.url)
    pg.click("#cp-ask")  # empty question
    pg.locator("#cp-chat .cp-msg").get_by_text("Please type a question").wait_for()
    ask(pg, "x " * 1001)
    pg.locator("#cp-chat .cp-msg").get_by_text("the limit is 2,000").wait_for()
    shot(pg, "11-too-long-message", full_page=False)
    ask(pg, "What is the capital of Peru?")
    pg.locator("#cp-chat .cp-abstain").get_by_text("Not covered").first.wait_for()
    sugg = pg.locator("#cp-suggestions")
    sugg.wait_for()
    shot(pg, "12-not-covered")
    sugg.get_by_text("When did the second Five-Year Plan begin?").click()  # suggestions are clickable
    pg.locator("#cp-chat .cp-latest .cp-q", has_text="second Five-Year Plan").wait_for()
    pg.locator("#cp-chat .cp-latest .cp-badge").first.wait_for()
    shot(pg, "13-suggestion-answered")
    assert not pg.dialogs and not pg.errors


def test_injection_is_inert_in_the_browser(page, injection_assistant, tmp_path):
    app = LiveApp(injection_assistant, tmp_path)
    try:
        pg = page
        open_app(pg, app.url)
        ask(pg, INJECTION_Q)
        latest = pg.locator("#cp-chat .cp-latest")
        latest.get_by_text("Mainstream literature says").wait_for()
        for summary in latest.locator("details > summary").all():
            summary.click()
        text = latest.inner_text()
        assert SCRIPT in text and IMAGE in text and LINK in text  # visible as plain text
        time.sleep(1.0)  # give any (wrongly) injected handler a chance to fire
        shot(pg, "14-injection-inert")
        counts = pg.evaluate("""() => {
            const root = document.querySelector('#cp-chat');
            return {
              scripts: root.querySelectorAll('script').length,
              imgs: root.querySelectorAll('img').length,
              js_links: [...root.querySelectorAll('a')].filter(a => /^\\s*javascript:/i.test(a.getAttribute('href') || '')).length,
              handlers: [...root.querySelectorAll('*')].filter(e => [...e.attributes].some(a => /^on/i.test(a.name))).length,
              evil: document.querySelectorAll('[src*="evil.example"]').length,
            };
        }""")
        assert counts == {"scripts": 0, "imgs": 0, "js_links": 0, "handlers": 0, "evil": 0}
        assert pg.dialogs == [], f"a dialog fired: {pg.dialogs}"
    finally:
        app.close()


def test_upload_panel_adds_and_removes_a_document(page, live_app, tmp_path):
    pg = page
    doc = tmp_path / "convoy-notes.txt"
    doc.write_text(
        "Arctic convoys to Murmansk carried Lend-Lease aircraft and tanks in 1942.\n\n"
        "The PQ 17 convoy lost most of its ships.",
        encoding="utf-8",
    )
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    open_app(pg, live_app.url)
    pg.get_by_role("tab", name="Documents").click()
    pg.locator("#cp-upload input[type=file]").set_input_files([str(doc), str(bad)])
    for field, value in (
        ("title", "Convoy Notes"),
        ("author", "A. Sailor"),
        ("year", "1999"),
        ("publisher", "Harbour Press"),
    ):
        pg.locator(f"#cp-meta-{field} textarea, #cp-meta-{field} input").first.fill(value)
    pg.click("#cp-add")
    report = pg.locator("#cp-add-report")
    report.get_by_text("added user:convoy-notes").wait_for()
    assert "empty.txt" in report.inner_text() and "the file is empty" in report.inner_text()
    pg.locator("#cp-documents").get_by_text("Convoy Notes").wait_for()
    shot(pg, "15-documents-added")
    try:
        ans = live_app.assistant.ask("What did the Arctic convoys to Murmansk carry?")
        assert any(p.source == "user:convoy-notes" for p in ans.literature)
    finally:
        pg.locator("#cp-remove-id textarea, #cp-remove-id input").first.fill("convoy-notes")
        pg.click("#cp-remove")
        report.get_by_text("removed convoy-notes").wait_for()
    assert not any(r["origin"] == "user" for r in live_app.assistant.documents())
    shot(pg, "16-documents-removed")
