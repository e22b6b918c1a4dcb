"""Bring-your-own documents: formats, metadata, bad input, second essays, removal."""

import io

import pytest

from rag import Assistant
from rag.ingest import IngestError, load_document, safe_name
from rag.settings import Settings

from .conftest import SHARED
from .pdfgen import make_pdf

MILESTONES = SHARED / "reference-sources" / "milestones"
OOH = {"author": "Office of the Historian, U.S. Department of State", "year": "n.d."}
META = {"title": "Test Book", "author": "A. Historian", "year": "2001", "publisher": "Test Press"}
needs_shared = pytest.mark.skipif(not MILESTONES.is_dir(), reason="../shared/reference-sources not present")


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


# -- parsing each format ---------------------------------------------------------------------


def test_pdf_pages_become_locators(tmp_path):
    pdf = write(
        tmp_path, "aid.pdf", make_pdf(["U.S. records show 427,284 trucks delivered.", "Page two: tanks."])
    )
    doc = load_document(pdf, flags=META)
    assert [p.locator for p in doc.passages] == ["p. 1", "p. 2"]
    assert "427,284" in doc.passages[0].text and doc.passages[0].cites[0].locator == "p. 1"
    assert doc.passages[0].citation.startswith("A. Historian. *Test Book*. Test Press, 2001, p. 1")


def test_html_paragraphs_and_meta(tmp_path):
    html = """<html><head><title>Aid to Russia</title><meta name="author" content="J. Writer">
    <meta name="citation_publisher" content="Some Press"><meta name="citation_date" content="1973-01-01">
    <script>alert(1)</script></head><body><h1>Aid to Russia</h1><h2>Trucks</h2>
    <p>The United States shipped 427,284 trucks.</p><p>Britain sent tanks.</p></body></html>"""
    doc = load_document(write(tmp_path, "aid.html", html))
    assert doc.title == "Aid to Russia" and doc.meta["author"] == "J. Writer" and doc.meta["year"] == "1973"
    assert [p.locator for p in doc.passages] == ["¶1", "¶2"] and doc.passages[0].section == "Trucks"
    assert not any("alert" in p.text for p in doc.passages)


@needs_shared
def test_markdown_front_matter_and_flags():
    doc = load_document(MILESTONES / "1937-1945_lend-lease.md", flags=OOH)
    assert doc.title.startswith("Lend-Lease and Military Aid")
    assert doc.meta["publisher"] == "Office of the Historian, U.S. Department of State"
    assert doc.passages and all(len(p.text.split()) <= 220 for p in doc.passages)
    assert "history.state.gov" in doc.passages[0].citation


def test_text_and_sidecar_yaml(tmp_path):
    p = write(tmp_path, "notes.txt", "First paragraph about Magnitogorsk.\n\nSecond paragraph about McKee.")
    write(tmp_path, "notes.txt.yaml", "title: Notes\nauthor: B. Author\nyear: 1999\npublisher: Self\n")
    doc = load_document(p)
    assert doc.title == "Notes" and [x.locator for x in doc.passages] == ["¶1", "¶2"]


def test_flags_win_over_sidecar_and_file(tmp_path):
    p = write(
        tmp_path, "n.md", "---\ntitle: From file\nauthor: F\nyear: 1\npublisher: P\n---\n\nText here.\n"
    )
    assert load_document(p, flags={"title": "From flag"}).title == "From flag"


def test_missing_citation_data_is_listed_not_invented(tmp_path):
    p = write(tmp_path, "bare.txt", "Some text.")
    with pytest.raises(IngestError) as e:
        load_document(p, flags={"title": "T"})
    assert "missing citation data: author, year, publisher" in str(e.value)


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"   \n\n  ", "no text"),
        ("binary.txt", b"abc\x00\x01\x02def", "binary data"),
        ("latin1.txt", "Caf\xe9 cr\xe8me".encode("latin-1"), "not UTF-8"),
        ("report.docx", b"PK\x03\x04", "unsupported file type"),
        ("corrupt.pdf", b"%PDF-1.4\nthis is not really a pdf", "corrupt or unreadable PDF"),
    ],
)
def test_bad_files_get_clear_errors(tmp_path, name, data, reason):
    with pytest.raises(IngestError) as e:
        load_document(write(tmp_path, name, data), flags=META)
    assert e.value.file == name and reason in e.value.reason


def test_encrypted_pdf(tmp_path):
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for page in PdfReader(io.BytesIO(make_pdf(["secret text"]))).pages:
        w.add_page(page)
    w.encrypt("password")
    buf = io.BytesIO()
    w.write(buf)
    with pytest.raises(IngestError, match="encrypted"):
        load_document(write(tmp_path, "locked.pdf", buf.getvalue()), flags=META)


def test_size_limit(tmp_path):
    p = write(tmp_path, "big.txt", "word " * 5000)
    with pytest.raises(IngestError, match=r"the limit is 0\.01 MB"):
        load_document(p, flags=META, max_mb=0.01)


@pytest.mark.parametrize("name", ["../../etc/passwd.txt", "..\\evil.txt", ".hidden.txt", "a/b.txt"])
def test_path_traversal_in_names_is_refused(name):
    with pytest.raises(IngestError, match="unsafe file name"):
        safe_name(name)
    assert safe_name("My Book (2nd ed).pdf") == "my-book-2nd-ed"


# -- through the Assistant -------------------------------------------------------------------


@pytest.fixture
def fresh(small_corpus, tmp_path, embeddings):
    return Assistant(
        Settings(home=tmp_path / "home", corpus_dir=small_corpus, encoder="st"), embeddings=embeddings
    )


def test_batch_with_bad_files_ingests_the_good_ones(fresh, tmp_path):
    before = fresh.index.count()
    good = write(
        tmp_path, "good.txt", "The Stalingrad Tractor Plant opened in 1930 and was designed by Kahn."
    )
    bad = [write(tmp_path, "empty.txt", b""), write(tmp_path, "bin.txt", b"\x00\x00")]
    report = fresh.add([bad[0], good, bad[1]], flags=META)
    assert report.added == ["user:good"] and {f for f, _ in report.errors} == {"empty.txt", "bin.txt"}
    assert fresh.index.count() == before + 1
    a = fresh.ask("When did the Stalingrad Tractor Plant open?")
    assert any(p.source == "user:good" for p in a.literature)


def test_all_bad_leaves_the_index_untouched(fresh, tmp_path):
    manifest = fresh.index.manifest
    report = fresh.add([write(tmp_path, "x.docx", b"zz")], flags=META)
    assert not report.ok and fresh.index.manifest == manifest


def test_second_essay_is_questioned_like_the_first_and_not_reviewed(fresh, tmp_path):
    essay = write(
        tmp_path,
        "other-essay.txt",
        "The Other Essay\n\nThe Red Army received 900,000 trucks from America, which won the war.\n\n"
        "Magnitogorsk was built by Soviet engineers alone.",
    )
    report = fresh.add(
        [essay], side="essay", flags={"title": "The Other Essay", "author": "C. Writer", "year": "2021"}
    )
    assert report.added == ["user:other-essay"]
    a = fresh.ask("How many trucks did the Red Army receive from America?")
    assert a.essay[0].source == "user:other-essay" and "900,000" in a.essay[0].quote
    assert a.verdict is None and a.review_status == "not-reviewed" and "not reviewed" in a.notices[0]
    assert any("427,284" in p.text for p in a.literature)


def test_update_and_remove_leave_no_stale_chunks(fresh, tmp_path):
    p = write(tmp_path, "doc.txt", "Alpha paragraph about convoys.\n\nBeta paragraph about Murmansk.")
    fresh.add([p], flags=META)
    p.write_text("Alpha paragraph about convoys.\n\nGamma paragraph about Archangel.", encoding="utf-8")
    report = fresh.add([p], flags=META)
    assert report.updated == ["user:doc"] and report.stats.embedded == 1
    texts = [x.text for x in fresh.index.passages.values() if x.source == "user:doc"]
    assert sorted(texts) == ["Alpha paragraph about convoys.", "Gamma paragraph about Archangel."]
    assert set(fresh.index._chroma_ids()) == set(fresh.index.passages)
    assert fresh.remove("doc") and not fresh.remove("doc")
    assert not any(x.source == "user:doc" for x in fresh.index.passages.values())
    assert set(fresh.index._chroma_ids()) == set(fresh.index.passages)
    assert (
        fresh.index.lexical(["murmansk"], "literature", 3) == []
        and fresh.index.lexical(["archangel"], "literature", 3) == []
    )
    assert not list((fresh.documents_dir).glob("doc-*.json"))


@needs_shared
def test_milestones_as_user_documents(fresh):
    report = fresh.add(sorted(MILESTONES.glob("*.md")), flags=OOH)
    assert report.ok and len(report.added) == len(list(MILESTONES.glob("*.md")))
    rows = [r for r in fresh.documents() if r["origin"] == "user"]
    assert len(rows) == len(report.added)
    a = fresh.ask("What did the Yalta conference decide about Poland?")
    assert any(p.source == "user:1937-1945_yalta-conf" for p in a.literature)
