"""Budgets for untrusted files (issue 15, failures 2, 3 and the smaller file items of 9).

Each test names the attack it replays; all run without the index except the batch ones.
"""

import time

import pytest

from rag import Assistant, ingest
from rag.ingest import MAX_PASSAGE_CHARS, IngestError, load_document, safe_name
from rag.settings import Settings

from .pdfgen import make_page_bomb, make_pdf

META = {"title": "Test Book", "author": "A. Historian", "year": "2001", "publisher": "Test Press"}


def write(folder, name, data):
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


def alias_bomb(levels: int) -> str:
    """The 311-byte attack at ``levels`` = 9: each level repeats the previous one nine times."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return (
        "---\n"
        + "\n".join(lines)
        + f"\ntitle: *a{levels - 1}\nauthor: X\nyear: 1\npublisher: P\n---\n\nBody text.\n"
    )


# -- YAML -------------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [2, 9])
def test_yaml_alias_bomb_in_front_matter_is_refused(tmp_path, levels):
    p = write(tmp_path, "bomb.md", alias_bomb(levels))
    start = time.monotonic()
    with pytest.raises(IngestError, match="aliases"):
        load_document(p)
    assert time.monotonic() - start < 2


def test_yaml_alias_in_a_sidecar_is_refused(tmp_path):
    p = write(tmp_path, "notes.txt", "Some text.")
    write(tmp_path, "notes.txt.yaml", "x: &x Book\ntitle: *x\nauthor: A\nyear: 1\npublisher: P\n")
    with pytest.raises(IngestError, match="aliases"):
        load_document(p)


def test_front_matter_size_is_capped(tmp_path):
    p = write(tmp_path, "big.md", "---\ntitle: " + "t" * 100_000 + "\n---\n\nBody.\n")
    with pytest.raises(IngestError, match="too large"):
        load_document(p, flags=META)


def test_malformed_front_matter_is_an_ingest_error(tmp_path):
    p = write(tmp_path, "bad.md", "---\ntitle: [unclosed\n---\n\nBody.\n")
    with pytest.raises(IngestError, match="front matter is not valid YAML") as e:
        load_document(p, flags=META)
    assert e.value.file == "bad.md"


# -- PDF --------------------------------------------------------------------------------------


def test_pdf_page_bomb_is_rejected_fast(tmp_path):
    p = write(tmp_path, "bomb.pdf", make_page_bomb(pages=200, mb=10))
    assert p.stat().st_size < 100_000
    start = time.monotonic()
    with pytest.raises(IngestError, match="decompression bomb"):
        load_document(p, flags=META)
    assert time.monotonic() - start < 20


def test_pdf_parsing_has_a_time_budget(tmp_path):
    p = write(tmp_path, "ok.pdf", make_pdf(["Some text."]))
    with pytest.raises(IngestError, match="took over"):
        ingest.parse_pdf(p, "ok.pdf", timeout=0.001)
    assert ingest.parse_pdf(p, "ok.pdf")[0][0][2] == "Some text."


# -- text size, long lines, control characters ----------------------------------------------


def test_one_long_line_becomes_bounded_passages(tmp_path):
    p = write(tmp_path, "line.txt", "word " * 200_000 + "x" * 50_000)  # 1 MB, one line, no sentence end
    doc = load_document(p, flags=META)
    assert max(len(x.text) for x in doc.passages) <= MAX_PASSAGE_CHARS
    assert max(len(x.text.split()) for x in doc.passages) <= ingest.MAX_WORDS
    assert sum(x.text.count("word") for x in doc.passages) == 200_000


def test_extracted_text_is_capped_per_file(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_TEXT_CHARS", 1000)
    with pytest.raises(IngestError, match="the limit is 1,000"):
        load_document(write(tmp_path, "long.txt", "word " * 400), flags=META)


def test_terminal_escapes_and_control_characters_are_stripped(tmp_path):
    text = "Red \x1b[31mALERT\x1b[0m and a \x1b]0;title\x07 bell\x07, a \x9b2J clear and a\rreturn.\n"
    p = write(tmp_path, "esc.txt", text)
    doc = load_document(p, flags={**META, "title": "Evil \x1b[2J title"})
    body = " ".join(x.text for x in doc.passages)
    assert not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in body + doc.title), (
        repr(body)
    )
    assert "ALERT" in body and "return" in body and doc.title == "Evil  title"


# -- names and links --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,slug",
    [
        ("Война и мир.txt", "voyna-i-mir"),
        ("Ἰλιάς.txt", "ilias"),
        ("Café Müller.md", "cafe-muller"),
        ("東京の本.txt", "東京の本"),
        ("My Book (2nd ed).pdf", "my-book-2nd-ed"),
    ],
)
def test_non_ascii_names_give_readable_ids(name, slug):
    assert safe_name(name) == slug


def test_non_ascii_file_is_ingested(tmp_path):
    doc = load_document(write(tmp_path, "Война и мир.txt", "Текст романа."), flags=META)
    assert doc.id == "user:voyna-i-mir"


def test_symlink_outside_its_folder_is_refused(tmp_path):
    secret = write(tmp_path / "outside", "secret.txt", "root:x:0:0:root:/root:/bin/bash")
    inside = tmp_path / "docs"
    inside.mkdir()
    (inside / "passwd.txt").symlink_to(secret)
    (inside / "alias.txt").symlink_to(write(inside, "real.txt", "Real text inside the folder."))
    with pytest.raises(IngestError, match="symbolic link"):
        load_document(inside / "passwd.txt", flags=META)
    assert load_document(inside / "alias.txt", flags=META).passages  # a link inside the folder is fine
    assert load_document(inside / "passwd.txt", flags=META, follow_symlinks=True).passages  # when asked for


# -- batches ----------------------------------------------------------------------------------


@pytest.fixture
def fresh(small_corpus, tmp_path, embeddings):
    return Assistant(
        Settings(home=tmp_path / "home", corpus_dir=small_corpus, encoder="st"), embeddings=embeddings
    )


def test_batch_reports_id_collisions_and_any_exception_and_goes_on(fresh, tmp_path, monkeypatch):
    real = ingest.parse_text

    def boom(text, name):
        if name == "crash.txt":
            raise RuntimeError("parser bug")
        return real(text, name)

    monkeypatch.setattr(ingest, "parse_text", boom)
    files = [
        write(tmp_path / "a", "same.txt", "First file about convoys."),
        write(tmp_path / "b", "same.txt", "Second file about tanks."),
        write(tmp_path, "crash.txt", "Anything."),
        write(tmp_path, "bad.md", "---\ntitle: [unclosed\n---\n\nBody.\n"),
        write(tmp_path, "bomb.md", alias_bomb(9)),
        write(tmp_path, "good.txt", "The Stalingrad Tractor Plant opened in 1930."),
    ]
    report = fresh.add(files, flags=META)
    assert report.added == ["user:same", "user:good"], report
    errors = dict(report.errors) if len({f for f, _ in report.errors}) == len(report.errors) else None
    assert errors is not None and set(errors) == {"same.txt", "crash.txt", "bad.md", "bomb.md"}, report.errors
    assert "same document id user:same" in errors["same.txt"]
    assert "RuntimeError" in errors["crash.txt"] and "aliases" in errors["bomb.md"]
    assert {e.id for e in fresh.index.manifest.documents} == {"user:same", "user:good"}
