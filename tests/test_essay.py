"""The essay parser against the essay's known structure (dossier Appendix A)."""

import pytest

from rag.corpus import load_bibliography, load_info
from rag.essay import parse_essay, resolve_notes, split_note

from .conftest import CORPUS, ESSAY_FILE


@pytest.fixture(scope="module")
def essay():
    info = load_info(CORPUS)  # the outlet and the site's boilerplate words are corpus data
    return parse_essay(
        ESSAY_FILE.read_text(encoding="utf-8"),
        "essay:poison-partners",
        load_bibliography(CORPUS / "bibliography.yaml"),
        outlet=info.outlet,
        meta_fields=info.meta_fields,
        boilerplate=info.boilerplate,
    )


def test_metadata(essay):
    assert essay.title == "Poison Partners: The Alliance of the US and the Soviet Union"
    assert essay.author == "John Wear"
    assert essay.outlet == "Inconvenient History"
    assert essay.date == "2020-11-28"


def test_paragraph_numbering_follows_the_dossier_rule(essay):
    numbers = [p.number for p in essay.paragraphs]
    assert numbers == list(range(44))  # ¶0 (title) .. ¶43 (last body paragraph)
    assert essay.paragraph(4).text.startswith("One of the most-incongruous aspects")
    assert essay.paragraph(39).text.startswith("One weakness of the Red Army")
    assert essay.paragraph(43).text.startswith("U.S. President Franklin Roosevelt")
    assert [p.number for p in essay.paragraphs if p.kind == "heading"] == [5, 13, 25, 33]
    assert {p.number for p in essay.paragraphs if p.kind == "meta"} == {1, 2, 3}


def test_sections_and_block_quotes(essay):
    assert essay.paragraph(39).section == "American Aid during World War II"
    assert essay.paragraph(6).section == "Historical Background"
    assert [p.number for p in essay.paragraphs if p.kind == "quote"] == [10, 17, 37, 41]


def test_footnote_markers_per_paragraph(essay):
    assert essay.paragraph(7).footnotes == (1, 2)
    assert essay.paragraph(39).footnotes == (29,)
    assert essay.paragraph(43).footnotes == (32, 33, 34)
    all_markers = [n for p in essay.paragraphs for n in p.footnotes]
    assert sorted(all_markers) == list(range(1, 35))


def test_34_notes_and_ibid_chains(essay):
    notes = essay.notes
    assert sorted(notes) == list(range(1, 35))
    # fn 20 "Ibid." -> fn 19 "Ibid., p. 25" -> fn 18 Suvorov, The Chief Culprit
    assert notes[20].raw == "Ibid."
    assert "The Chief Culprit" in notes[20].work and notes[20].pages == "p. 25"
    assert notes[20].ibid_of == 18 and notes[20].key == "suvorov2008"
    assert notes[4].work.startswith("Applebaum, Anne, Gulag") and notes[4].pages == "p. xvi"
    assert notes[23].pages == "p. 26" and notes[24].pages == "pp. 26-27"
    assert notes[27].key == "mosier2010" and notes[27].pages == "pp. 277-278"
    assert notes[29].key == "mosier2010" and notes[29].pages == "pp. 295-296"
    assert notes[14].key == "tzouliadis2008" and notes[14].pages == "p. 147"


def test_footnotes_resolve_to_bibliography(essay):
    expected = {
        1: "chuev2002",
        2: "suvorov2008",
        3: "applebaum2003",
        7: "fish1976",
        8: "hoggan1989",
        9: "tzouliadis2008",
        12: "chamberlin1950",
        15: "davies1941",
        16: "dobbs2012",
        26: "mosier2010",
        33: "terkel1984",
        34: "applebaum2012",
    }
    for n, key in expected.items():
        assert essay.notes[n].key == key, n


def test_split_note():
    assert split_note("Applebaum, Anne, Gulag: A History, New York: Doubleday, 2003, pp. xv-xvi, 6.") == (
        "Applebaum, Anne, Gulag: A History, New York: Doubleday, 2003",
        "pp. xv-xvi, 6",
    )
    assert split_note("No pages here.") == ("No pages here", "")


def test_ibid_without_a_previous_note_is_an_error():
    with pytest.raises(ValueError, match="Ibid"):
        resolve_notes({1: "Ibid., p. 3."})


def test_empty_essay_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        parse_essay("  \n\n ")
