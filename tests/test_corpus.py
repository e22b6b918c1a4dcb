"""Integrity of the corpus (issue: Corpus): claims verbatim, citations resolvable, [L] hedged."""

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from rag.corpus import CITE_RE, claims_inventory
from rag.models import VERDICTS
from rag.sentences import sentence_spans

from .conftest import CORPUS

HEDGES = (
    "uncertain",
    "unverified",
    "not verified",
    "could not be verified",
    "not been verified",
    "not checked",
    "no source",
    "not found",
    "unconfirmed",
    "not confirmed",
)
URL_RE = re.compile(r"https?://|www\.", re.I)
# The dossier's tally is 6 / 24 / 4 / 11 / 5. Issue 13 (expert read, see corpus/CHANGELOG.md) moved
# claim 20 (Mission to Moscow sales) from consistent to needs-context: 5 / 25 / 4 / 11 / 5.
DOSSIER_COUNTS = {"consistent": 5, "needs-context": 25, "disputed": 4, "contradicted": 11, "unverifiable": 5}


def digests(corpus, kind=None):
    return [d for d in corpus.documents if d.kind in ({kind} if kind else {"digest", "profile"})]


def test_corpus_loads(corpus):
    assert len(digests(corpus, "digest")) >= 20
    assert len(digests(corpus, "profile")) >= 15
    assert len(corpus.claims) >= 45


def test_every_claim_quote_is_verbatim_in_its_paragraph(corpus):
    essay = next(iter(corpus.essays.values()))
    for c in corpus.claims:
        assert c.quote in essay.paragraph(c.paragraph).text, c.id
        assert c.quote.strip() == c.quote and len(c.quote) > 15, c.id
        assert all(1 <= n <= 34 for n in c.footnotes), c.id


def test_claims_reference_existing_digests_and_works(corpus):
    ids = {d.id for d in digests(corpus)}
    for c in corpus.claims:
        assert c.digests, f"{c.id} rests on no digest"
        assert set(c.digests) <= ids, c.id
        assert c.works and set(c.works) <= set(corpus.bibliography), c.id
        assert c.verdict in VERDICTS and c.rationale, c.id


def own_verdict_claims() -> dict[str, str]:
    """Split claims judged apart from their dossier claim (``own_verdict:`` in claims.yaml, with why)."""
    data = yaml.safe_load((CORPUS / "claims.yaml").read_text(encoding="utf-8"))
    return {e["id"]: e["own_verdict"] for e in data if e.get("own_verdict")}


def test_verdict_counts_match_the_dossier(corpus):
    """One verdict per dossier claim number (split claims keep their claim's verdict, except those
    marked ``own_verdict`` with a reason, e.g. C46c, the 1944 sentence of claim 46)."""
    own = own_verdict_claims()
    assert all(len(r) > 40 for r in own.values()), "own_verdict needs a reason"
    changelog = (CORPUS / "CHANGELOG.md").read_text(encoding="utf-8")
    assert all(cid in changelog for cid in own), "every own_verdict claim is explained in CHANGELOG.md"
    by_number = {}
    for c in corpus.claims:
        if c.dossier is None:  # reviews of checkable claims the dossier does not number: C51 onward
            assert re.fullmatch(r"C(\d{2,})[a-z]?", c.id) and int(c.id[1:3]) > 50, c.id
            continue
        if c.id in own:
            assert any(o.dossier == c.dossier and o.id not in own for o in corpus.claims), c.id
            continue
        by_number.setdefault(c.dossier, set()).add(c.verdict)
    assert sorted(by_number) == list(range(1, 51))
    assert all(len(v) == 1 for v in by_number.values())
    assert Counter(next(iter(v)) for v in by_number.values()) == DOSSIER_COUNTS


def test_every_passage_cites_a_work_in_the_bibliography(corpus):
    for d in digests(corpus):
        assert d.passages, d.id
        for p in d.passages:
            assert p.cites, f"{d.id} {p.locator} cites no work"
            assert all(c.key in corpus.bibliography for c in p.cites)


def test_every_cited_work_is_in_the_bibliography():
    bib = yaml.safe_load((CORPUS / "bibliography.yaml").read_text(encoding="utf-8"))
    for path in list((CORPUS / "references").glob("*.md")) + list((CORPUS / "sources").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for key, _ in CITE_RE.findall(text):
            assert key in bib, f"{path.name}: [@{key}]"
        works = yaml.safe_load(text.split("---")[1]).get("works") or []
        assert set(works) <= set(bib), path.name


def test_no_web_address_except_official_public_domain():
    for path in CORPUS.rglob("*"):
        if path.suffix not in {".md", ".yaml", ".txt"} or path.name == "FORMAT.md" or "essay" in path.parts:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if URL_RE.search(line):
                assert "https://history.state.gov/" in line and path.name == "bibliography.yaml", (
                    path.name,
                    line,
                )


def test_digests_say_they_are_summaries_and_have_the_right_size(corpus):
    for d in digests(corpus):
        assert "summary, written for the Counterpoint project" in d.preamble, d.id
        words = sum(len(p.text.split()) for p in d.passages)
        if d.kind == "digest":
            assert 250 <= words <= 900, (d.id, words)


L_ITEMS = yaml.safe_load((Path(__file__).parent / "fixtures" / "l_items.yaml").read_text(encoding="utf-8"))


def _texts(corpus):
    for d in digests(corpus):
        for p in d.passages:
            yield f"{d.id} {p.locator}", p.text
    for c in corpus.claims:
        yield f"claim {c.id}", c.rationale


@pytest.mark.parametrize("item", L_ITEMS, ids=[i["text"] for i in L_ITEMS])
def test_uncertain_figures_are_worded_as_uncertain(corpus, item):
    needle = item["text"]
    for where, text in _texts(corpus):
        for s, e in sentence_spans(text):
            sent = text[s:e]
            if needle in sent:
                assert any(h in sent.lower() for h in HEDGES), f"{where}: [L] {needle!r} not hedged: {sent}"


def test_coverage_every_checkable_paragraph_is_reviewed(corpus):
    essay = next(iter(corpus.essays.values()))
    cov = yaml.safe_load((CORPUS / "coverage.yaml").read_text(encoding="utf-8"))
    exceptions = {e["paragraph"]: e["reason"] for e in cov["exceptions"]}
    assert all(len(r) > 20 for r in exceptions.values()), "every exception needs a reason"
    reviewed = {c.paragraph for c in corpus.claims}
    for p in essay.paragraphs:
        if p.number < 4:
            continue
        assert (p.number in reviewed) != (p.number in exceptions), f"¶{p.number}: reviewed xor excepted"
        if p.number in exceptions:
            assert p.kind in {"heading", "intro"} or p.text.endswith(":"), f"¶{p.number} has prose"


def test_claim_figures_occur_in_the_essay_quote_and_the_literature(corpus):
    texts = {d.id: " ".join(p.text for p in d.passages) for d in digests(corpus)}
    for c in corpus.claims:
        for f in c.figures:
            assert f.essay in c.quote, (c.id, f.essay)
            if "verified" in f.literature or not re.search(r"\d", f.literature):
                continue
            nums = re.findall(r"\d[\d,.]*\d|\d", f.literature)
            body = " ".join(texts[d] for d in c.digests)
            assert any(n in body for n in nums), (c.id, f.literature)


# Verdict counts stated in prose by the overview profiles (issue 11 item 5): phrased as counts of the
# dossier's 50 claims, and checked here against claims.yaml, so no count is maintained by hand.
OVERVIEW_PROFILES = ("essay-poison-partners", "inconvenient-history-codoh", "john-wear")
PROSE_COUNTS = {
    "consistent": r"(\d+) (?:are|were) consistent",
    "needs-context": r"(\d+) (?:are|were) partly consistent",
    "disputed": r"(\d+) (?:are|were) (?:genuinely )?disputed",
    "contradicted": r"(\d+) (?:are|were) contradicted",
    "unverifiable": r"(\d+) could not be verified",
}


def test_claims_inventory_is_derived_from_claims_yaml(corpus):
    inv = claims_inventory(corpus.claims)
    assert inv["dossier_claims"] == 50 and inv["dossier"] == DOSSIER_COUNTS
    assert sum(inv["reviews"].values()) == len(corpus.claims)
    assert sorted(i for ids in inv["ids"].values() for i in ids) == sorted(c.id for c in corpus.claims)


def test_verdict_counts_in_overview_prose_match_claims_yaml(corpus):
    inv = claims_inventory(corpus.claims)
    seen = set()
    for doc in OVERVIEW_PROFILES:
        text = " ".join(p.text for p in corpus.document(doc).passages)
        for verdict, pattern in PROSE_COUNTS.items():
            for n in re.findall(pattern, text):
                assert "50 claims" in text, doc
                assert int(n) == inv["dossier"][verdict], (doc, verdict, n)
                seen.add(verdict)
    assert seen == set(PROSE_COUNTS)  # the essay profile states every verdict's count


def test_overview_sections_are_self_contained_answers(corpus):
    subject = {
        "essay-poison-partners": "Poison Partners",
        "inconvenient-history-codoh": "CODOH",
        "john-wear": "Wear",
    }
    for doc in OVERVIEW_PROFILES:
        for p in corpus.document(doc).passages:
            assert 60 <= len(p.text.split()) <= 220, (doc, p.locator)
            assert p.cites and subject[doc] in p.text, (doc, p.locator)  # names its subject: read on its own


def test_bibliography_has_no_duplicate_keys():
    """YAML keeps the last of two equal keys silently; a merge of two corpus edits can do that."""
    import yaml

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
        dupes = {k for k in keys if keys.count(k) > 1}
        assert not dupes, f"duplicate keys in bibliography.yaml: {sorted(dupes)}"
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    yaml.load((CORPUS / "bibliography.yaml").read_text(encoding="utf-8"), Loader=Strict)


BOILERPLATE = (
    "This document is part of the Inconvenient History periodical",
    "Use this menu to find more documents",
    "Published: 2020-11-28",
)


def test_site_boilerplate_is_never_an_essay_passage(corpus):
    """Issue 13, item 14: the publication line and the site's boilerplate (¶1–3) are not the
    essay's words, so they are not indexed and can never be quoted as what the essay claims."""
    essay_passages = [p for d in corpus.documents if d.side == "essay" for p in d.passages]
    assert essay_passages
    for p in essay_passages:
        assert not set(p.paragraphs) & {1, 2, 3}, p.locator
        assert not any(b in p.text for b in BOILERPLATE), p.locator
    essay = next(iter(corpus.essays.values()))
    indexed = {n for p in essay_passages for n in p.paragraphs}
    assert {p.number for p in essay.body} <= indexed  # every body, intro and quote line is still indexed
    # the outlet is still identified: in the essay's citation and in the outlet's profile
    assert all("*Inconvenient History*" in p.citation for p in essay_passages)
    outlet = " ".join(p.text for p in corpus.document("inconvenient-history-codoh").passages)
    assert "Inconvenient History" in outlet and "Committee for Open Debate on the Holocaust" in outlet


def test_no_claim_quotes_the_title_or_boilerplate(corpus):
    essay = next(iter(corpus.essays.values()))
    head = [essay.paragraph(n).text for n in range(4)]
    for c in corpus.claims:
        assert c.paragraph >= 4 and essay.paragraph(c.paragraph).kind in {"body", "quote", "intro"}, c.id
        assert not any(c.quote in t for t in head), c.id


def test_a_claim_on_a_boilerplate_line_is_rejected(tmp_path, corpus):
    from rag.corpus import CorpusError, load_claims

    essay = next(iter(corpus.essays.values()))
    bad = tmp_path / "claims.yaml"
    bad.write_text(
        yaml.safe_dump(
            [
                {
                    "id": "C99",
                    "dossier": 99,
                    "paragraph": 2,
                    "quote": "part of the Inconvenient History periodical",
                    "verdict": "consistent",
                    "rationale": "x",
                    "digests": ["inconvenient-history-codoh"],
                    "works": ["wear2020"],
                }
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match="not a claim"):
        load_claims(bad, essay, corpus.bibliography, {d.id for d in digests(corpus)})


def test_bibliography_by_surname_every_entry_with_an_author_or_editor(corpus):
    """The Sources tab orders works by surname (or institution); none is listed without a name."""
    from rag.models import sort_name

    assert all(w.author for w in corpus.bibliography.values())
    assert corpus.bibliography["krivosheev1997"].citation.startswith("G. F. Krivosheev (ed.). ")
    assert corpus.bibliography["time1941"].citation.startswith("Time (unsigned article). ")
    assert sort_name("John Lewis Gaddis") == "gaddis john lewis"
    assert sort_name("Hamilton Fish III").startswith("fish ")
    assert sort_name("C. Ó Gráda").startswith("o grada")
    assert sort_name("Anna M. Cienciala, Natalia S. Lebedeva and Wojciech Materski (eds.)").startswith(
        "cienciala"
    )
    assert sort_name("Office of the Historian, U.S. Department of State").startswith(
        "office of the historian"
    )
    keys = [w.key for w in sorted(corpus.bibliography.values(), key=lambda w: w.sort_key)]
    assert (
        keys.index("applebaum2003")
        < keys.index("gaddis1997")
        < keys.index("snyder2010")
        < keys.index("zaloga1994")
    )


def test_no_doubled_quote_marks_in_passage_citations(corpus):
    bad = [p.citation for p in corpus.passages if re.search(r"“\"|\"”", p.citation)]
    assert not bad, bad[:3]
    good_war = [p.citation for p in corpus.passages if p.source == "good-war-label"]
    assert good_war and good_war[0].startswith("Counterpoint digest “‘The Good War’: where the label")
