"""The web app in a real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Covers the chat thread (three turns with follow-ups, reload, clear, ``?q=`` links), the essay
reader, phone and desktop layouts, Not covered, the Documents tab, filtered and printable
exports, and injection inertness. Screenshots go to artifacts/screenshots/ (gitignored). Never
runs `playwright install`: the system Chromium is used, or the tests are skipped.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from urllib.parse import quote, unquote

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
PLAN_Q = "When did the second Five-Year Plan begin?"
OVERFLOW_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# Gradio clips its container, so the page's scrollWidth alone would miss content cut off at the
# right edge: every visible element must end inside the viewport, or inside a box that scrolls.
CUT_OFF_JS = """() => {
  const w = window.innerWidth + 1, bad = [];
  const scrolls = (p) => ['auto', 'scroll'].includes(getComputedStyle(p).overflowX);
  for (const e of document.querySelectorAll('.gradio-container *')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || r.right <= w || e.closest('[aria-hidden=true], .visually-hidden')) continue;
    let p = e.parentElement, ok = false;
    while (p && !ok) { ok = scrolls(p) && p.getBoundingClientRect().right <= w; p = p.parentElement; }
    if (!ok) bad.push(`${e.tagName}.${String(e.className).slice(0, 40)} right=${Math.round(r.right)}`);
  }
  return bad.slice(0, 5);
}"""

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


def new_page(browser, width: int = 1280):
    ctx = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
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
    return ctx, pg


@pytest.fixture
def page(browser):
    ctx, pg = new_page(browser)
    yield pg
    ctx.close()


def shot(pg, name: str, full_page: bool = False) -> None:
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def open_app(pg, url: str) -> None:
    pg.goto(url)
    pg.wait_for_selector("#cp-question textarea")


def bots(pg):
    return pg.locator("#cp-chat [data-testid=bot]")


def users(pg):
    return pg.locator("#cp-chat [data-testid=user]")


def wait_turns(pg, n: int) -> None:
    pg.wait_for_function(f"() => document.querySelectorAll('#cp-chat [data-testid=bot]').length === {n}")


def ask(pg, question: str) -> None:
    """Ask and wait for the new answer card."""
    n = bots(pg).count()
    pg.locator("#cp-question textarea").fill(question)
    pg.click("#cp-ask")
    wait_turns(pg, n + 1)


def open_tab(pg, name: str) -> None:
    """A tab by name, through Gradio's "More tabs" menu when the screen is too narrow for all."""
    tab = pg.get_by_role("tab", name=name)
    if not (tab.count() and tab.is_visible()):
        pg.get_by_label("More tabs").click()
        pg.locator(".overflow-dropdown button", has_text=name).click()
    else:
        tab.click()


def no_overflow(pg, cut_off: bool = True) -> None:
    width, inner = pg.evaluate(OVERFLOW_JS)
    assert width <= inner, f"the page overflows horizontally: {width} > {inner}"
    if cut_off:
        assert pg.evaluate(CUT_OFF_JS) == [], "content runs past the right edge"


def share_question(card) -> str:
    href = card.locator(".cp-share a").get_attribute("href")
    assert href.startswith("?q=")
    return unquote(href[3:])


# -- the conversation --------------------------------------------------------------------------


def test_three_turn_conversation_survives_a_reload_and_clears(page, live_app):
    pg = page
    open_app(pg, live_app.url)
    assert pg.locator("#cp-chat").get_by_text(PLAN_Q).count() >= 1  # the examples, while the thread is empty
    ask(pg, TRUCKS_Q)
    first = bots(pg).nth(0)
    first.get_by_text("The essay claims (contested source)").wait_for()
    first.get_by_text("Mainstream literature says").wait_for()
    badge = first.locator(".cp-verdict .cp-badge").first
    assert badge.locator(".cp-badge-text").inner_text().strip() == "contradicted"  # text, not colour alone
    assert "reviewed claim C45" in first.locator(".cp-verdict").first.inner_text()
    assert first.locator("table.cp-figs").get_by_text("750,000 [E1]").count() >= 1
    assert first.locator(".cp-direct").inner_text().startswith("Answer.")  # the direct answer comes first
    assert first.get_by_text(re.compile(r"^About this source: Inconvenient History")).is_visible()
    with pg.expect_download() as dl:  # the latest answer downloads as Markdown
        pg.click("#cp-dl-md")
    md = Path(dl.value.path()).read_text(encoding="utf-8")
    assert md.startswith(f"## {TRUCKS_Q}") and "[L1]" in md and "contradicted" in md

    # A citation <details> opens to the full passage and the full citation of each work.
    lit = first.locator(".cp-col-lit .cp-passage").first
    citation = lit.locator("ul.cp-cites li").first
    assert not citation.is_visible()
    lit.locator("details.cp-more > summary").click()
    citation.wait_for(state="visible")
    assert "The Strange Alliance" in lit.locator("ul.cp-cites").inner_text()
    assert lit.locator(".cp-full mark").is_visible()  # the quote, highlighted in the full passage
    essay = first.locator(".cp-col-essay .cp-passage").first
    essay.locator("details.cp-more > summary").click()
    assert re.search(r"\[29\] Mosier", essay.locator("ul.cp-cites").inner_text())
    shot(pg, "01-answer-contradicted")

    # Two follow-ups read with the thread's earlier questions; every turn stays readable above.
    ask(pg, "And the tanks?")
    ask(pg, "And the aircraft?")
    assert [u.inner_text().strip() for u in users(pg).all()] == [
        TRUCKS_Q,
        "And the tanks?",
        "And the aircraft?",
    ]
    expected = live_app.assistant.ask("And the tanks?", history=[TRUCKS_Q]).resolved_question
    assert expected != "And the tanks?" and share_question(bots(pg).nth(1)) == expected
    third = live_app.assistant.ask("And the aircraft?", history=[TRUCKS_Q, "And the tanks?"])
    assert share_question(bots(pg).nth(2)) == third.resolved_question
    assert bots(pg).nth(0).get_by_text("Mainstream literature says").is_visible()  # not collapsed
    shot(pg, "02-three-turns", full_page=True)

    pg.reload()
    pg.wait_for_selector("#cp-question textarea")
    wait_turns(pg, 3)  # the thread is back, in order, from browser storage
    assert [u.inner_text().strip() for u in users(pg).all()] == [
        TRUCKS_Q,
        "And the tanks?",
        "And the aircraft?",
    ]
    assert share_question(bots(pg).nth(1)) == expected
    pg.locator("#cp-dl-md").wait_for()  # the latest answer's downloads are back too

    pg.click("#cp-clear")
    wait_turns(pg, 0)
    pg.reload()
    pg.wait_for_selector("#cp-question textarea")
    time.sleep(1.0)
    assert bots(pg).count() == 0  # cleared for good
    assert not pg.dialogs and not pg.errors


def test_share_link_opens_the_app_with_the_question_asked(page, live_app):
    pg = page
    pg.goto(live_app.url + "?q=" + quote(PLAN_Q))
    wait_turns(pg, 1)
    assert users(pg).first.inner_text().strip() == PLAN_Q
    bots(pg).first.locator(".cp-badge").first.wait_for()
    pg.wait_for_function(
        "() => !new URL(window.location.href).searchParams.has('q')"
    )  # a reload asks no twice
    assert share_question(bots(pg).first) == PLAN_Q  # each answer carries its own link
    pg.reload()
    pg.wait_for_selector("#cp-question textarea")
    wait_turns(pg, 1)
    time.sleep(0.5)
    assert bots(pg).count() == 1
    ask(pg, "What is the capital of Peru?")
    pg.goto(live_app.url + "?q=" + quote(PLAN_Q))  # a shared link while a thread exists: appended, standalone
    wait_turns(pg, 3)
    assert users(pg).last.inner_text().strip() == PLAN_Q
    assert not pg.errors


def test_not_covered_is_short_with_one_list_and_no_downloads(page, live_app):
    pg = page
    open_app(pg, live_app.url)
    pg.click("#cp-ask")  # empty question: a gentle message, no turn
    pg.locator("#cp-chat-msg .cp-msg").get_by_text("Please type a question").wait_for()
    ask(pg, TRUCKS_Q)
    pg.locator("#cp-dl-md").wait_for()
    pg.locator("#cp-question textarea").fill("x " * 1001)
    pg.click("#cp-ask")
    pg.locator("#cp-chat-msg .cp-msg").get_by_text("the limit is 2,000").wait_for()
    ask(pg, "best pasta recipe?")
    card = bots(pg).last
    card.locator(".cp-abstain").get_by_text("Not covered").first.wait_for()
    text = card.inner_text()
    assert text.count("Not covered") == 1 and len(text) < 500  # one short message, no wall of topics
    assert card.locator("ul").count() == 0  # the suggestions are not listed a second time in the card
    options = pg.locator("#cp-chat .options button")
    assert 1 <= options.count() <= 3
    assert pg.locator("#cp-dl-md").is_hidden() and pg.locator("#cp-dl-json").is_hidden()
    assert pg.locator("#cp-dl-print").is_hidden()
    shot(pg, "03-not-covered")
    label = options.first.inner_text().strip()
    options.first.click()  # a suggestion is asked when clicked
    wait_turns(pg, 3)
    assert users(pg).last.inner_text().strip() == label
    assert pg.locator("#cp-dl-md").is_visible()
    assert not pg.dialogs and not pg.errors


# -- the essay reader ----------------------------------------------------------------------------


def test_essay_reader_marks_claims_and_a_click_opens_the_review(page, live_app):
    pg = page
    open_app(pg, live_app.url)
    open_tab(pg, "Essay")
    reader = pg.locator("#cp-reader")
    reader.locator("#cp-par-39").wait_for()
    claims = live_app.assistant.claims()
    marks = reader.locator("a.cp-claim-mark")
    assert marks.count() >= len(claims) - 3  # (nearly) every reviewed claim is marked in place
    mark = reader.locator('a.cp-claim-mark[data-claim="C45"]')
    tag = mark.locator(".cp-mark-tag").inner_text()
    assert "C45" in tag and "contradicted" in tag  # the verdict as text
    assert mark.locator(".cp-icon.cp-shape-square").count() == 1  # and as an icon and a shape
    assert "750,000 trucks" in mark.inner_text()
    essay = next(iter(live_app.assistant.corpus.essays.values()))
    notes = pg.locator("#cp-notes-box")
    assert notes.locator("ol.cp-notes > li").count() == len(essay.notes)
    assert "Mosier" in notes.locator("#cp-note-29").inner_text()  # the footnote with its resolved work
    assert "Ibid., via note" in notes.inner_text()
    mark.click()
    review = pg.locator("#cp-reader-review")
    review.get_by_text("reviewed claim C45").wait_for()
    assert review.locator(".cp-badge-text").first.inner_text().strip() == "contradicted"
    assert live_app.assistant.claim("C45").rationale[:60] in review.inner_text()
    review.get_by_text("Mainstream literature says").wait_for()
    assert review.locator(".cp-col-lit .cp-passage").count() >= 1
    shot(pg, "04-essay-reader")
    assert not pg.dialogs and not pg.errors


# -- layouts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [390, 1280])
def test_layouts_do_not_overflow_the_page(browser, live_app, width):
    ctx, pg = new_page(browser, width)
    try:
        open_app(pg, live_app.url)
        no_overflow(pg)
        ask(pg, TRUCKS_Q)
        no_overflow(pg)
        card = bots(pg).first
        box = pg.locator("#cp-question textarea").bounding_box()
        essay_col = card.locator(".cp-col-essay").bounding_box()
        lit_col = card.locator(".cp-col-lit").bounding_box()
        table = card.locator(".cp-scroll").first.bounding_box()
        assert table["x"] + table["width"] <= width  # the figures table fits or scrolls in its own box
        if width == 390:
            assert box["width"] >= 0.8 * width  # a full-width question box
            assert abs(essay_col["x"] - lit_col["x"]) < 2 and lit_col["y"] > essay_col["y"]  # stacked
        else:
            assert lit_col["x"] > essay_col["x"] + essay_col["width"] - 1  # side by side
        for tab in ("Essay", "Claims", "Documents", "Sources", "About"):
            open_tab(pg, tab)
            time.sleep(0.3)
            no_overflow(pg)
        assert not pg.errors
    finally:
        ctx.close()


# -- documents -------------------------------------------------------------------------------------


def test_documents_upload_list_after_reload_and_remove(page, live_app, tmp_path):
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
    open_tab(pg, "Documents")
    rules = pg.locator("#cp-upload-rules").inner_text()
    assert ".pdf" in rules and ".txt" in rules and "50 MB" in rules and "Required citation data" in rules
    pg.locator("#cp-upload input[type=file]").set_input_files([str(doc)])
    pg.locator("#cp-meta-title input, #cp-meta-title textarea").first.fill("Convoy Notes")
    pg.click("#cp-add")  # author, year and publisher missing: refused, in the form's words
    report = pg.locator("#cp-add-report")
    report.get_by_text("missing citation data").wait_for()
    assert "Fill in these fields" in report.inner_text() and "--" not in report.inner_text()
    pg.locator("#cp-upload input[type=file]").set_input_files([str(doc), str(bad)])
    for field, value in (("author", "A. Sailor"), ("year", "1999"), ("publisher", "Harbour Press")):
        pg.locator(f"#cp-meta-{field} textarea, #cp-meta-{field} input").first.fill(value)
    pg.click("#cp-add")
    report.get_by_text("added user:convoy-notes").wait_for()
    assert "empty.txt" in report.inner_text() and "the file is empty" in report.inner_text()
    pg.locator("#cp-documents").get_by_text("Convoy Notes").wait_for()
    try:
        open_tab(pg, "Chat")
        ask(pg, "What did the Arctic convoys to Murmansk carry?")
        card = bots(pg).last
        card.locator(".cp-col-user").get_by_text("Your documents").wait_for()
        assert "Convoy Notes" in card.locator(".cp-col-user").inner_text()
        assert "Convoy Notes" not in card.locator(".cp-col-lit").inner_text()  # never mainstream literature
        shot(pg, "05-your-documents")
        pg.reload()  # the list is read from the index, so it is right after a reload
        pg.wait_for_selector("#cp-question textarea")
        open_tab(pg, "Documents")
        pg.locator("#cp-documents").get_by_text("Convoy Notes").wait_for()
        shot(pg, "06-documents-listed")
    finally:
        pg.locator('#cp-documents button[data-remove="user:convoy-notes"]').click()
        report.get_by_text("Removed user:convoy-notes").wait_for()
    pg.locator("#cp-docs-empty").wait_for()
    assert not any(r["origin"] == "user" for r in live_app.assistant.documents())
    assert not pg.dialogs and not pg.errors


# -- claims, filtered and printable exports ---------------------------------------------------------


def cells(table, text: str):
    """Visible data cells of a Gradio dataframe with exactly this text (skips its sizing row)."""
    return table.get_by_test_id(re.compile(r"^cell-\d+-\d+$")).get_by_text(text, exact=True)


def saved(download, folder: Path, name: str) -> Path:
    """A download kept under its own name (the browser opens a .html file as a page)."""
    path = folder / name
    download.save_as(str(path))
    return path


def test_claims_tab_filters_and_exports_follow_the_filter(page, live_app, tmp_path):
    pg = page
    open_app(pg, live_app.url)
    open_tab(pg, "Claims")
    table = pg.locator("#cp-claims-table")
    cells(table, "C01").wait_for()
    total = int(pg.locator("#cp-claim-count").get_attribute("data-count"))
    assert total == len(live_app.assistant.claims())
    pg.locator("#cp-verdict-filter input").click()
    pg.get_by_role("option", name=re.compile(r"^contradicted")).click()
    pg.wait_for_function(f"() => document.querySelector('#cp-claim-count')?.dataset.count !== '{total}'")
    n = int(pg.locator("#cp-claim-count").get_attribute("data-count"))
    assert 0 < n < total
    cells(table, "C45").wait_for()
    assert cells(table, "needs-context").count() == 0
    time.sleep(0.5)  # the download buttons are updated by the same event
    with pg.expect_download() as dl:
        pg.click("#cp-dl-claims-json")
    data = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    assert len(data) == n and {c["verdict"] for c in data} == {"contradicted"}
    with pg.expect_download() as dl:
        pg.click("#cp-dl-claims-md")
    md = Path(dl.value.path()).read_text(encoding="utf-8")
    assert md.count("\n### C") == n and "needs-context" not in md
    with pg.expect_download() as dl:
        pg.click("#cp-dl-claimreview")
    assert len(json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))) == n
    with pg.expect_download() as dl:
        pg.click("#cp-dl-claims-print")
    printable = saved(dl.value, tmp_path, "claims.html")
    pg.locator("#cp-claim-search input, #cp-claim-search textarea").first.fill("trucks")
    pg.wait_for_function(f"() => document.querySelector('#cp-claim-count')?.dataset.count !== '{n}'")
    cells(table, "C45").click()
    view = pg.locator("#cp-claim-view")
    view.locator(".cp-cols").wait_for()
    assert view.locator(".cp-badge-text").first.inner_text().strip() == "contradicted"
    shot(pg, "07-claims-filtered")
    assert not pg.errors

    # The printable claim report: a plain page that prints to PDF without overflowing.
    pr = pg.context.new_page()
    pr.goto(printable.resolve().as_uri())
    assert pr.locator(".cp-print-claim").count() == n
    pr.emulate_media(media="print")
    no_overflow(pr, cut_off=False)
    assert pr.pdf(format="A4")[:4] == b"%PDF"


def test_printable_answer_prints_cleanly(page, live_app, tmp_path):
    pg = page
    open_app(pg, live_app.url)
    ask(pg, TRUCKS_Q)
    with pg.expect_download() as dl:
        pg.click("#cp-dl-print")
    pr = pg.context.new_page()
    pr.goto(saved(dl.value, tmp_path, "answer.html").as_uri())
    assert pr.locator(".cp-print-title").inner_text() == f"Counterpoint: {TRUCKS_Q}"
    assert pr.locator("script").count() == 0
    assert pr.locator("details:not([open])").count() == 0  # every citation opened for paper
    assert pr.locator(".cp-col-lit ul.cp-cites li").first.is_visible()
    pr.emulate_media(media="print")
    no_overflow(pr, cut_off=False)
    pdf = pr.pdf(format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 20_000


# -- injection ---------------------------------------------------------------------------------------

COUNT_JS = """(sel) => {
    const root = document.querySelector(sel);
    return {
      scripts: root.querySelectorAll('script').length,
      imgs: root.querySelectorAll('img').length,
      js_links: [...root.querySelectorAll('a')].filter(a => /^\\s*javascript:/i.test(a.getAttribute('href') || '')).length,
      handlers: [...root.querySelectorAll('*')].filter(e => [...e.attributes].some(a => /^on/i.test(a.name))).length,
      evil: document.querySelectorAll('[src*="evil.example"]').length,
    };
}"""
CLEAN = {"scripts": 0, "imgs": 0, "js_links": 0, "handlers": 0, "evil": 0}


def test_injection_is_inert_in_every_view(page, injection_assistant, tmp_path):
    app = LiveApp(injection_assistant, tmp_path)
    try:
        pg = page
        open_app(pg, app.url)
        ask(pg, INJECTION_Q)
        card = bots(pg).last
        card.get_by_text("Mainstream literature says").wait_for()
        for summary in card.locator("details > summary").all():
            summary.click()
        text = card.inner_text()
        assert SCRIPT in text and IMAGE in text and LINK in text  # visible as plain text
        time.sleep(1.0)  # give any (wrongly) injected handler a chance to fire
        shot(pg, "08-injection-inert")
        assert pg.evaluate(COUNT_JS, "#cp-chat") == CLEAN
        pg.reload()  # the restored thread is rendered the same way
        pg.wait_for_selector("#cp-question textarea")
        wait_turns(pg, 1)
        assert pg.evaluate(COUNT_JS, "#cp-chat") == CLEAN
        for tab, root in (
            ("Sources", "#cp-sources"),
            ("Essay", "#cp-reader"),
            ("Documents", "#cp-documents"),
        ):
            open_tab(pg, tab)
            pg.locator(root).wait_for()
            assert pg.evaluate(COUNT_JS, root) == CLEAN, tab
        assert pg.dialogs == [], f"a dialog fired: {pg.dialogs}"
    finally:
        app.close()
