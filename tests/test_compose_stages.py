"""Composition stages on hand-built inputs: the claim gate, premises, excerpts, overviews, and the
direct answer; no index, no model."""

from dataclasses import replace

import numpy as np

from rag import overview, premise
from rag.claimmatch import rank_claims, shares_subject
from rag.compose import Context, PartEvidence, compose
from rag.excerpt import WeightedQuery, choose
from rag.figures import extract
from rag.lexical import tokenize
from rag.models import Claim, Figure, Passage
from rag.policy import AnswerPolicy
from rag.question import Premise, analyze
from rag.retrieve import Hit
from rag.sentences import sentence_spans
from rag.verify import verify

POLICY = AnswerPolicy()


def idf(token: str) -> float:
    return {"soviet": 0.2, "stalin": 0.5, "war": 0.4}.get(token, 2.5)


def essay(pid: str, text: str, para: int) -> Passage:
    return Passage(
        id=pid,
        text=text,
        source="essay:e",
        side="essay",
        kind="essay",
        title="E",
        locator=f"¶{para}",
        citation="Wear, E",
        paragraphs=(para,),
    )


def lit(pid: str, text: str, source: str = "d", kind: str = "digest", section: str = "S") -> Passage:
    return Passage(
        id=pid,
        text=text,
        source=source,
        side="literature",
        kind=kind,
        title=source,
        locator="§1",
        citation=f"Counterpoint digest {source}",
        section=section,
    )


E_HITLER = essay(
    "e24",
    "Roosevelt pushed for war. Hitler had never wanted war with either the United States or Great Britain.",
    24,
)
E_TRUCKS = essay(
    "e39",
    "The Red Army rode on the 750,000 trucks and jeeps given to the Red Army by the United "
    "States and Great Britain.",
    39,
)
C27 = Claim(
    id="C27",
    quote="Hitler had never wanted war with either the United States or Great Britain",
    paragraph=24,
    footnotes=(),
    verdict="contradicted",
    rationale="Hitler declared war on the United States in 1941.",
)
C45 = Claim(
    id="C45",
    quote="the 750,000 trucks and jeeps given to the Red Army by the United States and Great Britain",
    paragraph=39,
    footnotes=(),
    verdict="contradicted",
    rationale="U.S. records show 427,284 trucks.",
    figures=(Figure("trucks", "750,000", "427,284"),),
)
C07 = Claim(
    id="C07",
    quote="18 million people passed through the Gulag",
    paragraph=11,
    footnotes=(),
    verdict="consistent",
    rationale="Applebaum's estimate.",
    figures=(Figure("people", "18 million", "18 million"),),
)
L_TRUCKS = lit(
    "l1",
    "Deliveries began in 1941. U.S. records show 427,284 trucks delivered to the USSR by 31 May "
    "1945. These trucks gave the Red Army its mobility.",
)
L_SUVOROV = lit(
    "l2",
    "Most specialists reject Viktor Suvorov's argument that Stalin was about to attack Germany in "
    "1941. Glantz finds no firm evidence for it.",
    "suvorov",
)


def hits(*ps: Passage, dense: float = 0.6) -> list[Hit]:
    return [Hit(p, 1.0 / (i + 60), dense, 1.0) for i, p in enumerate(ps)]


def test_gate_rejects_a_similar_claim_on_another_subject():
    subject = set(tokenize("Did Stalin plan to attack Germany in 1941?"))
    assert not shares_subject(C27, subject, idf, sim=0.5, policy=POLICY)
    assert shares_subject(C45, set(tokenize("How many trucks did the US send?")), idf, sim=0.5, policy=POLICY)


def test_counted_kinds_are_what_follows_how_many():
    from rag.figures import counted_kinds

    assert counted_kinds("and how many died there? (Gulag)") == {"deaths"}
    assert counted_kinds("Did 3-4 million exiled peasants really die?") == set()


def test_gate_vetoes_a_claim_whose_figures_count_something_else():
    subject = set(tokenize("How many died in the Gulag?"))
    assert not shares_subject(C07, subject | {"gulag"}, idf, sim=0.9, policy=POLICY, kinds={"deaths", "*"})
    assert shares_subject(
        C07,
        set(tokenize("How many people passed through the Gulag?")),
        idf,
        sim=0.6,
        policy=POLICY,
        kinds={"people", "*"},
    )


def test_rank_claims_keeps_one_card_per_sentence_and_finds_claims_beyond_the_top_hits():
    twin = replace(C45, id="C45b", verdict="needs-context")
    q = WeightedQuery.build("How many trucks did the US send?", "How many trucks did the US send?")
    out = rank_claims(
        q,
        set(q.weights),
        hits(E_HITLER),
        [C45, twin, C27],
        idf,
        {"C45": 0.7, "C45b": 0.69},
        POLICY,
        limit=3,
        passages=[E_HITLER, E_TRUCKS],
    )
    assert [m.claim.id for m in out] == ["C45"]  # C45b quotes the same sentence; C27 fails the gate
    assert out[0].hit.passage.id == "e39"  # its paragraph was not retrieved, the essay's passages supply it


def test_premise_check_quotes_the_literature_figure():
    p = Premise(
        "the US gave 750,000 trucks, right?",
        figures=tuple(__import__("rag.figures", fromlist=["x"]).extract("750,000 trucks")),
    )
    shown = [replace(L_TRUCKS, marker="L1")]
    out = premise.check(p, shown, [replace(E_TRUCKS, marker="E1")])
    assert out.startswith(
        "The question assumes 750,000 trucks (the essay's figure); the literature gives a different"
    )
    assert "“U.S. records show 427,284 trucks delivered to the USSR by 31 May 1945.” [L1]" in out
    assert premise.check(None, shown) == ""


def test_a_figure_the_literature_names_only_to_doubt_is_not_supported():
    doubt = replace(
        lit("l1", "The 25% defence figure was not found in the printed extract, so it remains unverified."),
        marker="L1",
    )
    out = premise.check(Premise(text="is the 25% figure right", figures=extract("25%")), [doubt])
    assert "has not verified that figure" in out and "supports" not in out


def test_excerpt_picks_the_sentence_with_the_fact_and_its_antecedent():
    q = WeightedQuery.build("How many trucks did the US deliver?", "How many trucks did the US deliver?")
    s, e, _ = choose(L_TRUCKS.text, q, idf, {"trucks", "*"}, window=1)
    assert L_TRUCKS.text[s:e] == "U.S. records show 427,284 trucks delivered to the USSR by 31 May 1945."
    q2 = WeightedQuery.build("mobility", "mobility")
    s, e, _ = choose(L_TRUCKS.text, q2, idf, set(), window=1)
    assert L_TRUCKS.text[s:e].startswith("U.S. records") and L_TRUCKS.text[s:e].endswith(
        "mobility."
    )  # "These…"


def test_excerpt_uses_sentence_vectors_when_words_do_not_match():
    text = (
        "Alpha beta gamma delta epsilon zeta eta theta. Iota kappa lambda mu nu xi omicron pi rho sigma tau."
    )
    vecs = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    q = WeightedQuery.build("", "")
    s, e, _ = choose(
        text,
        q,
        idf,
        set(),
        qvec=np.array([0.0, 1.0], dtype=np.float32),
        spans=sentence_spans(text),
        svecs=vecs,
        window=1,
        short=0,
    )
    assert text[s:e].startswith("Iota")


def test_a_short_excerpt_grows_toward_its_better_neighbour():
    """A short best sentence takes a neighbour, the one that speaks to the question (here the one
    before it), not blindly the next."""
    text = (
        "Soviet tank output reached about 24,000 in 1943. The figure is well attested. "
        "Britain sent tea and blankets to the Red Cross."
    )
    q = WeightedQuery.build("how many soviet tanks were built in 1943 attested", "")
    s, e, _ = choose(text, q, idf, {"tanks"}, window=1, short=60)
    assert text[s:e] == "Soviet tank output reached about 24,000 in 1943. The figure is well attested."


def test_excerpt_a_digest_question_hands_its_score_to_the_sentence_that_answers_it():
    text = (
        "Did Hitler ever intend war with Britain? Mainstream historians answer that this conflict "
        "was part of his programme. Hitler's rearmament plans included a large fleet."
    )
    q = WeightedQuery.build("did hitler intend war with britain", "did hitler intend war with britain")
    s, e, _ = choose(text, q, idf, set(), window=1)
    assert text[s:e].startswith("Mainstream historians answer")  # never the question itself


def test_a_yes_no_question_gets_the_sentence_that_judges_the_point():
    text = (
        "According to the thesis, Stalin planned an attack on Germany for July 1941. "
        "Most specialists reject the view that Stalin planned an attack on Germany in July."
    )
    q = WeightedQuery.build(
        "stalin planned attack germany july 1941", "stalin planned attack germany july 1941"
    )
    s, e, _ = choose(text, q, idf, set(), window=1)
    assert text[s:e].startswith("According")  # without a yes/no question: the closest words
    s, e, _ = choose(text, q, idf, set(), window=1, stance=POLICY.excerpt_stance_weight)
    assert text[s:e].startswith("Most specialists reject")
    assert analyze("Stalin planned to attack in July 1941, right?").checks
    assert not analyze("How many trucks did the US send?").checks
    assert not analyze("What is this essay about?").checks


def test_an_excerpt_that_opens_with_he_answered_it_takes_the_sentence_it_refers_to():
    text = (
        "The book appeared in 1990. Most specialists reject the thesis. "
        "Gabriel Gorodetsky answered it directly in a book on the war. "
        "Drawing on archives, he argued that Stalin sought to delay the war."
    )
    q = WeightedQuery.build("did stalin seek to delay the war", "did stalin seek to delay the war")
    s, e, _ = choose(text, q, idf, set(), window=2, neighbour_share=0.0, max_chars=500)
    assert text[s:e].startswith("Most specialists reject the thesis.")


def test_a_literature_excerpt_is_chosen_by_the_words_its_title_does_not_already_have():
    text = (
        "The film Mission to Moscow was released in 1943. Historians treat the picture as wartime propaganda."
    )
    passage = lit("m", text, source="mission-to-moscow", section="Mission to Moscow, the film")
    q = WeightedQuery.build(
        "mission to moscow film was it propaganda", "mission to moscow film was it propaganda"
    )
    s, e, _ = choose(text, q, idf, set(), window=1, short=0)
    assert text[s:e].startswith("The film")  # the title's words outweigh the one that matters
    title = set(tokenize(f"{passage.title} {passage.section}"))
    s, e, _ = choose(text, q.discount(title, POLICY.excerpt_title_weight), idf, set(), window=1, short=0)
    assert text[s:e].startswith("Historians treat the picture as wartime propaganda")


def test_the_judging_sections_of_a_document_are_found_by_their_heading():
    from rag.compose import judgement_sections

    judged = lit(
        "j",
        "Most specialists reject it.",
        source="icebreaker",
        section="Specialists' rejection of Icebreaker",
    )
    plain = lit("p", "The thesis says…", source="icebreaker", section="The Icebreaker thesis")
    assert judgement_sections([judged, plain, E_HITLER]) == {"icebreaker": [judged]}


def test_a_misspelt_single_question_is_weighed_by_its_corrected_words():
    from rag.answerer import Answerer

    qa = analyze("lendlease how importnat", [], None)
    qa = replace(qa, parts=("lend-lease how important",), resolved="lend-lease how important")
    assert Answerer._part_queries(None, qa) == [("lend-lease how important", "lend-lease how important")]  # type: ignore[arg-type]


def test_overview_inventory_and_selection():
    claims = [C27, C45, C07]
    counts = overview.inventory(claims)
    assert counts["contradicted"] == 2 and counts["consistent"] == 1
    assert overview.inventory_sentence(counts, ("contradicted",)).startswith(
        "Of the essay's 3 reviewed claims, 2 are contradicted by the literature"
    )
    assert overview.wanted_verdicts("What are the biggest errors?")[0] == "contradicted"
    assert overview.wanted_verdicts("Is any of it accurate?")[0] == "consistent"
    assert overview.wanted_verdicts("How reliable is it overall?") == ()  # counts, not a list
    assert overview.wanted_verdicts("which claims are disputed or unverifiable") == (
        "disputed",
        "unverifiable",
    )
    assert [c.id for c in overview.select(claims, ("contradicted",))] == ["C27", "C45"]
    roosevelt = replace(C27, section="Roosevelt Admires Stalin")
    sections = [roosevelt.section, C45.section]
    assert (
        overview.named_section("contradicted claims in the Roosevelt section", sections) == roosevelt.section
    )


def _ctx(**kw) -> Context:
    return Context(
        claims=[C27, C45], idf=idf, reviewed_essay="essay:e", essay_passages=[E_HITLER, E_TRUCKS], **kw
    )


def test_compose_a_claim_answer_opens_with_the_verdict_restated():
    q = analyze("How many trucks did the Allies send?")
    part = PartEvidence(
        q.text, q.resolved, hits(E_TRUCKS, E_HITLER), hits(L_TRUCKS), {"C45": 0.7, "C27": 0.2}
    )
    a = verify(compose(q, [part], _ctx()))
    assert a.verdict == "contradicted" and a.cards[0].claim.id == "C45" and a.cards[0].marker == "E1"
    assert a.direct.startswith(
        "The literature contradicts the essay here: the essay says “the 750,000 trucks"
    )
    assert "[L1]" in a.direct and a.cards[0].headline.endswith(": contradicted.")


def test_compose_a_question_no_claim_is_about_gets_no_badge():
    q = analyze("Did Stalin plan to attack Germany in 1941?")
    part = PartEvidence(q.text, q.resolved, hits(E_HITLER), hits(L_SUVOROV), {"C27": 0.5})
    a = verify(compose(q, [part], _ctx()))
    assert a.verdict is None and not a.cards
    assert a.direct.startswith("“Most specialists reject Viktor Suvorov's argument")


def test_compose_a_false_premise_is_answered_first():
    q = analyze("the US gave 750,000 trucks, right?")
    part = PartEvidence(q.text, q.resolved, hits(E_TRUCKS), hits(L_TRUCKS), {"C45": 0.7})
    a = verify(compose(q, [part], _ctx()))
    assert a.premise and a.direct.startswith("The question assumes 750,000 trucks")


def test_compose_an_overview_lists_the_claims_from_curated_data():
    q = analyze("What are the biggest errors in the essay?")
    profile = lit(
        "p1",
        "The essay makes eleven errors. Its trucks figure is wrong.",
        "essay-profile",
        "profile",
        "The biggest errors",
    )
    part = PartEvidence(q.text, q.resolved, hits(E_HITLER), [], {})
    a = verify(
        compose(q, [part], _ctx(essay_profiles=frozenset({"essay-profile"}), profile_passages=[profile]))
    )
    assert [c.id for c in a.claim_list] == ["C27", "C45"] and a.verdict is None
    assert (
        a.direct.startswith("Of the essay's 2 reviewed claims, 2 are contradicted")
        and a.literature[0].id == "p1"
    )


def test_a_quote_that_says_he_is_read_with_the_sentence_that_names_him():
    from rag.claimmatch import quote_sentence

    text = (
        "William Bullitt served as ambassador from 1933. Bullitt left with few illusions, and by the "
        "end of his tenure he was openly hostile to the Soviet government. Roosevelt ignored him."
    )
    assert quote_sentence(text, "by the end of his tenure he was openly hostile").startswith("Bullitt left")
    # a quote that names its own subject stands alone, so its sentence cannot attach it elsewhere
    assert (
        quote_sentence(text, "William Bullitt served as ambassador") == "William Bullitt served as ambassador"
    )


def test_below_the_gate_floor_no_claim_passes_so_ranking_may_skip_it():
    from rag.claimmatch import gate_floor

    floor = gate_floor(POLICY)
    rich = set(tokenize(C27.quote)) | {"deaths", "tanks"}
    assert not shares_subject(C27, rich, idf, floor - 0.01, POLICY)
    assert not shares_subject(C27, rich, idf, floor - 0.01, POLICY, kinds={"tanks"})


def test_a_hyphenated_word_is_one_shared_word():
    from rag.claimmatch import shared_idf

    subject = set(tokenize("How important was Lend-Lease?"))
    assert shared_idf("congressional approval for Lend-Lease aid", subject, idf) == 2.5


def test_many_shared_rare_words_pass_with_a_modest_similarity():
    c = replace(C27, id="C17", quote="Roosevelt said it would promote peace and democracy in the world")
    subject = set(tokenize("Is the 'peace and democracy in the world' quote from Roosevelt genuine?"))
    assert shares_subject(c, subject, idf, sim=0.45, policy=POLICY)
    assert not shares_subject(c, subject, idf, sim=0.30, policy=POLICY)


def test_a_follow_up_that_counts_the_claims_kind_passes_with_one_shared_word():
    subject = set(tokenize("and tanks? (lend lease Red Army)"))
    c = replace(
        C45, figures=(Figure("tanks", "12,575", "12,575"),), quote="12,575 tanks went to the Red Army"
    )
    assert shares_subject(c, subject, lambda t: 1.2, sim=0.45, policy=POLICY, kinds={"tanks", "*"})
    assert not shares_subject(c, subject, lambda t: 1.2, sim=0.45, policy=POLICY)


def test_a_counting_follow_up_needs_the_carried_subject_in_the_claims_paragraph():
    """ "and how many died there?" after a Gulag question shares only "deaths" with a claim about
    deaths in exile: the count alone does not make the claim about the Gulag."""
    subject = set(tokenize("and how many died there? (Gulag essay)"))
    exile = replace(
        C45,
        id="C05",
        quote="another 3 million to 4 million deaths as a result of lethal conditions at the places of exile",
        paragraph=7,
        rationale="Records put deaths in exile in the hundreds of thousands.",
        figures=(Figure("deaths", "3 million to 4 million", "3000000"),),
    )
    kulak_paragraph = "Molotov was asked how many were relocated. " + exile.quote + "."
    gulag_paragraph = "In the Gulag camps, " + exile.quote + "."

    def idf(t: str) -> float:
        return 1.8

    assert not shares_subject(exile, subject, idf, 0.45, POLICY, {"deaths"}, paragraph=kulak_paragraph)
    assert shares_subject(exile, subject, idf, 0.45, POLICY, {"deaths"}, paragraph=gulag_paragraph)


def test_a_section_headed_by_the_question_s_subject_passes_the_literature_gate():
    q = analyze("Did American engineers build Uralvagonzavod?")
    q = replace(q, entities=("uralvagonzavod",))
    top = lit("u1", "The claim that American engineers built Uralvagonzavod could not be verified.", "uvz")
    top = replace(top, title="Uralvagonzavod")
    same = replace(
        lit("u2", "The railway-car plant was built in 1936 at Nizhny Tagil.", "uvz"), title="Uralvagonzavod"
    )
    other = lit("k1", "Komsomolsk-on-Amur was founded in 1932 and built by forced labour.", "komsomolsk")
    lit_hits = [Hit(top, 0.033, 0.80, 1.0), Hit(other, 0.032, 0.52, 1.0), Hit(same, 0.031, 0.50, 1.0)]
    part = PartEvidence(q.text, q.resolved, [], lit_hits, {})
    policy = replace(POLICY, literature_min_overlap=1.0)  # words alone let nothing through
    a = compose(q, [part], _ctx(), policy, top_k=3)
    assert [p.id for p in a.literature] == ["u1", "u2"]


def test_a_question_names_an_essay_section_by_a_few_of_its_words():
    headings = [
        "Historical Background",
        "Roosevelt Admires Stalin",
        "American Aid in Building Stalin’s Military",
        "American Aid during World War II",
    ]
    assert overview.named_section("Which bits of the 'Roosevelt Admires Stalin' section", headings) == (
        "Roosevelt Admires Stalin"
    )
    assert (
        overview.named_section("gist of the roosevelt part for a class", headings)
        == "Roosevelt Admires Stalin"
    )
    assert overview.named_section("the world war ii section", headings) == "American Aid during World War II"
    assert overview.named_section("the section on american aid", headings) == ""  # two sections match
    assert overview.named_section("the stalin section", headings) == ""  # "Stalin’s" ties it
    assert overview.named_section("what part did Lend-Lease play", headings) == ""


def test_a_follow_up_about_a_place_the_sources_never_mention_is_not_covered():
    """ "and to China?" / "what did he do in paris?" after a covered question: the answer would
    be about the earlier subject, so that part is Not covered instead."""
    q = replace(
        analyze("and how many trucks did they send to china?"),
        followup=True,
        resolved="and how many trucks did they send to china? (US Red Army)",
        entities=("china",),
    )
    part = PartEvidence(q.text, q.resolved, hits(E_TRUCKS), hits(L_TRUCKS), {"C45": 0.6})
    a = verify(compose(q, [part], _ctx()))
    assert a.abstained and a.abstain_reason == "part-not-covered" and "china" in a.summary
    paris = replace(analyze("what did he do in paris?"), followup=True, unknown_words=("paris",))
    part = PartEvidence(paris.text, paris.text, hits(E_TRUCKS), hits(L_TRUCKS), {})
    assert compose(paris, [part], _ctx()).abstain_reason == "part-not-covered"
    bogus = replace(analyze("so is that figure bogus?"), followup=True, unknown_words=("bogus",))
    part = PartEvidence(bogus.text, bogus.text, hits(E_TRUCKS), hits(L_TRUCKS), {"C45": 0.6})
    assert not compose(bogus, [part], _ctx()).abstained  # an unknown adjective names no subject


def test_premise_check_reads_a_figure_with_a_comma_and_takes_the_nearest_figure():
    """ "is the 12,575 lend lease tanks number legit?": the comma inside 12,575 does not end the
    clause, and of a passage's tank figures the Lend-Lease total, not home production, answers."""
    from rag.figures import extract

    q = "is the 12,575 lend lease tanks number legit"
    p = Premise(q, figures=tuple(extract(q)))
    assert premise._subject(q, p.figures[0]) >= {"lend", "legit"}
    text = (
        "The Soviet Union built roughly 100,000 tanks in the war. "
        "The roughly 12,300 Lend-Lease tanks were a supplement."
    )
    out = premise.check(p, [replace(lit("l9", text), marker="L1")])
    assert "supports that figure" in out and "12,300 Lend-Lease tanks" in out


def test_a_claim_that_states_the_question_s_own_figure_is_found():
    from rag.claimmatch import states_figure
    from rag.figures import extract

    asked = extract("is the 12,575 lend lease tanks number legit or did mosier make it up")
    assert states_figure("12,575 British and American tanks were sent to the Red Army", asked)
    assert not states_figure("12,575 trucks were sent", asked)  # the same number counting another kind
    assert not states_figure("about 12,300 tanks were sent", asked)


def test_a_phrase_the_question_quotes_finds_the_claim_whose_review_has_it():
    from rag.claimmatch import quoted_phrases, quotes_phrase

    q = "Did Roosevelt really call the USSR 'a dictatorship as absolute as any other'? I want it"
    assert quoted_phrases(q) == ("a dictatorship as absolute as any other",)
    assert quoted_phrases("so the essay's '1944' is just wrong, isn't it?") == ()  # one word
    c = replace(C27, rationale="In February 1940 he called it “a dictatorship as absolute as any other”.")
    assert quotes_phrase(c, quoted_phrases(q)) and not quotes_phrase(C45, quoted_phrases(q))


def test_isnt_all_wrong_asks_what_is_right():
    assert overview.wanted_verdicts("Which claims are right? I want students to see it isn't all wrong")[
        0
    ] == ("consistent")


def test_a_definition_question_is_not_a_check_of_a_claim():
    from rag.compose import asks_definition

    assert asks_definition("who was william bullitt")
    assert asks_definition("why was chelyabinsk called tankograd")
    assert asks_definition("fdr moral embargo on the soviet union what was that")
    assert asks_definition("and who directed it?")  # the film's maker, not the essay's claim about it
    assert not asks_definition("Who designed Magnitogorsk?")  # asks what the essay claims
    assert not asks_definition("What is the official count of executions in 1937-38?")
    q = analyze("who was william bullitt")
    part = PartEvidence(q.text, q.resolved, hits(E_TRUCKS), hits(L_TRUCKS), {"C45": 0.9})
    assert not compose(q, [part], _ctx()).cards


def test_two_claims_on_one_paragraph_show_both_sentences_when_they_fit():
    from rag.compose import _claims_span

    text = "First claim sentence. Some words between. Second claim sentence."
    a = replace(C45, quote="First claim sentence.")
    b = replace(C27, quote="Second claim sentence.")
    assert _claims_span(text, [a, b], 500) == text
    assert _claims_span(text, [a, b], 30) == "First claim sentence."
    assert _claims_span(text, [], 500) == ""


def test_what_the_question_says_the_essay_says_picks_the_claim():
    from rag.claimmatch import paraphrased, restates

    words = paraphrased("how long did it take uralvagonzavod to start making t34s? essay says no delay")
    assert words == {"delay"}
    delay = replace(C45, quote="Uralvagonzavod without any delay began the mass production of tanks")
    output = replace(C45, quote="Uralvagonzavod produced 35,000 T-34 tanks")
    assert restates(delay, words, lambda t: 2.0) and not restates(output, words, lambda t: 2.0)


def test_only_a_surname_or_a_rare_name_puts_an_essay_paragraph_on_topic():
    """ "whos john wear": "John" (Mosier's first name) and "Wear" (the byline) admit nothing."""
    from rag.compose import _admitting_names

    ctx = _ctx(name_tokens=frozenset({"wear"}))
    q = replace(
        analyze("who is john wear and does he cite anne applebaum"),
        entities=("john", "wear", "anne", "applebaum"),
    )
    assert _admitting_names(q, ctx, POLICY) == ["applebaum"]


def test_a_section_named_by_what_only_its_paragraphs_discuss():
    from rag.lexical import add_synonyms

    add_synonyms({"lease": "aid"})  # the bundled corpus's own synonym: "Lend-Lease" is aid
    headings = ["Roosevelt Admires Stalin", "American Aid during World War II"]
    texts = {
        "Roosevelt Admires Stalin": "Roosevelt praised Stalin. Lend-Lease aid came up once.",
        "American Aid during World War II": "Allied aid to Stalin. American aid grew. Aid was vast. Aid!",
    }
    q = "Which claims in the Lend-Lease section are right?"
    assert overview.named_section(q, headings) == ""
    assert overview.named_section(q, headings, texts) == "American Aid during World War II"
    counts = {"consistent": 2, "contradicted": 1}
    assert overview.inventory_sentence(counts, ("consistent",), "Aid").startswith(
        "Of the 3 reviewed claims in the essay's section “Aid”, 2 are consistent"
    )


def test_a_question_that_asks_about_a_figure_is_not_said_to_assume_it():
    from rag.figures import extract

    shown = [replace(L_TRUCKS, marker="L1")]
    asks = Premise("Can I quote the 750,000 trucks figure?", figures=tuple(extract("750,000 trucks")))
    assumes = Premise("the US gave 750,000 trucks, right?", figures=tuple(extract("750,000 trucks")))
    assert premise.check(asks, shown).startswith("The question asks about 750,000 trucks")
    assert premise.check(assumes, shown).startswith("The question assumes 750,000 trucks")


C40 = Claim(
    id="C40",
    quote="Stalin let his people’s standard of living drop extremely low",
    paragraph=32,
    footnotes=(),
    verdict="needs-context",
    rationale="Shortages and queues are well established; the cause is overstated.",
)
P32 = (
    "Basic necessities such as pots and pans became scarce. People had to wait in long lines. "
    "Stalin let his people’s standard of living drop extremely low."
)


def test_gate_reads_a_close_claims_paragraph_for_its_subject():
    """ "queues, no pots and pans" is what the paragraph says around a quote on living standards:
    a close claim is anchored there, a far one is not, and the paragraph alone never attaches."""
    subject = set(tokenize("does the essay's picture of everyday life (no pots and pans) hold up"))
    assert not shares_subject(C40, subject, idf, sim=0.56, policy=POLICY)  # the quote shares nothing
    assert shares_subject(C40, subject, idf, sim=0.56, policy=POLICY, paragraph=P32)
    assert not shares_subject(C40, subject, idf, sim=0.40, policy=POLICY, paragraph=P32)


def test_topic_claims_narrow_a_right_or_wrong_question():
    claims = [C27, C45, C07] + [replace(C07, id=f"X{i}", quote=f"filler sentence {i}") for i in range(6)]
    c44 = replace(C45, id="C44", quote="12,575 British and American trucks were sent")
    assert [
        c.id for c in overview.topic_claims("how reliable are the truck numbers in it?", claims + [c44], idf)
    ] == [
        "C45",
        "C44",
    ]
    # a word one claim happens to use ("either") is no topic; nor is a framing word
    assert overview.topic_claims("can't be checked either way, or is it all false?", claims, idf) == []
    assert overview.topic_words("how reliable are the truck numbers in it?", [C45, c44]) == "truck"


def test_only_claim_naming_picks_the_claim_a_rare_name_points_to():
    from rag.claimmatch import only_claim_naming

    c37 = replace(C07, id="C37", quote="Magnitogorsk was built with a huge plant")
    claims = [C27, C45, c37]
    assert only_claim_naming(["magnitogorsk"], claims, idf, 2.0) == "C37"
    assert only_claim_naming(["britain"], claims, idf, 2.0) == ""  # two claims use it


def test_an_indirect_question_after_and_is_not_a_second_part():
    from rag.question import split_parts

    assert len(split_parts("Does the essay say who was purged and how they were sentenced?")) == 1
    assert len(split_parts("When did the plan begin and who built Magnitogorsk?")) == 2


def test_right_or_wrong_phrasings_people_use():
    from rag.question import detect_intent

    for q in (
        "give me a few claims from this essay that students can find are actually true",
        "What in it is actually false?",
        "How reliable are the tank numbers in this essay overall?",
    ):
        assert detect_intent(q) == "right-wrong", q
    assert detect_intent("the trucks figure is true?") == "claim"


def test_inventory_sentence_names_the_topic():
    counts = {"consistent": 0, "needs-context": 1, "disputed": 0, "contradicted": 2, "unverifiable": 0}
    assert overview.inventory_sentence(counts, ("contradicted",), topic="tank") == (
        "Of the essay's 3 reviewed claims on “tank”, 2 are contradicted by the literature "
        "and 1 partly right but in need of context."
    )


def test_a_cited_paragraph_names_its_claims():
    from rag.claimmatch import Cues

    cues = Cues.of("I want to set it against what the essay says about him in ¶14.")
    assert cues.paragraphs == {14}
    assert Cues.of("is paragraph 39 right").name(C45, idf) is True
    assert Cues.of("is paragraph 40 right").name(C45, idf) is False


def test_a_definition_that_goes_on_about_its_subject_gets_no_card():
    from rag.compose import _defines

    assert _defines(["who was albert kahn the architect guy", "what did he build in russia"])
    assert _defines(["what was lend-lease exactly", "when did the soviets start getting it"])
    assert not _defines(["who was bullitt", "did he turn against stalin"])  # a check
    assert not _defines(["who was bullitt", "how many reports did he send"])  # a count
    assert not _defines(["how many trucks were sent"])


def test_what_the_essay_says_about_x_is_no_overview():
    from rag.question import detect_intent

    assert detect_intent("What is the essay really about?") == "overview"
    assert detect_intent("I want to set it against what the essay says about him in ¶14.") != "overview"


def test_a_claims_excerpt_is_its_whole_sentence_and_grows_like_any_other():
    text = (
        "However, the 750,000 trucks and jeeps given to the Red Army gave the Soviets transport. "
        "The Red Army could advance faster than the Germans retreated. Unrelated closing words here."
    )
    q = WeightedQuery.build("did the red army advance faster with the trucks", "")
    prefer = "the 750,000 trucks and jeeps given to the Red Army"
    s, e, _ = choose(text, q, idf, set(), prefer=prefer, short=120)
    assert text[s:e].startswith("However, the 750,000 trucks") and "advance faster" in text[s:e]
    s, e, _ = choose(text, q, idf, set(), prefer=prefer, short=0)
    assert text[s:e] == text[: text.index(" The Red Army")]  # the whole sentence, no more


def test_topic_slots_are_where_a_question_names_its_topic():
    assert overview.topic_slots("How reliable are the tank numbers in this essay?") == ["tank"]
    assert overview.topic_slots("what does it get wrong about the gulag") == ["gulag"]
    assert overview.topic_slots("why the essay misdates the Five-Year Plans")[-1] == "Five-Year Plans"
    assert (
        overview.topic_claims("I'm building a worksheet: which claims are actually true?", [C45], idf) == []
    )


def test_a_second_card_with_the_same_verdict_reads_as_a_continuation():
    from rag.compose import _card_sentences
    from rag.models import ClaimCard

    c16 = replace(
        C27, id="C16b", quote="the Roosevelt Administration always fully supported the Soviet Union"
    )
    out = _card_sentences([ClaimCard(C27, "E1"), ClaimCard(c16, "E2")], [], room=3)
    assert out[0].startswith("The literature contradicts the essay here: the essay says “Hitler")
    assert (
        out[1].startswith("The essay also says “the Roosevelt Administration")
        and "also contradicts" in out[1]
    )


def test_a_topic_lists_every_claim_errors_first_but_not_one_quoting_another():
    c33 = replace(
        C45, id="C33", quote="Uralvagonzavod began the mass production of tanks", verdict="needs-context"
    )
    c34 = replace(C45, id="C34", quote="Uralvagonzavod produced 35,000 T-34 tanks", paragraph=39)
    c34b = replace(c34, id="C34b", quote="produced 35,000 T-34 tanks")
    listed = overview.select([c33, c34, c34b], overview.TOPIC_ORDER, per_paragraph=False)
    assert [c.id for c in listed] == ["C34", "C33"]  # two claims of ¶39, C34b's words inside C34's


def test_an_asserted_death_toll_is_not_checked_by_a_head_count_claim():
    """ "Since the Gulag killed 20 million…" (the issue's example): the 18-million-passed-through
    claim counts people, not deaths, so it gets no card; a claim counting deaths still can."""
    subject = set(tokenize("Since the Gulag killed 20 million people, the essay is too soft"))
    c07 = replace(C07, quote="18 million people passed through the Gulag camps")
    assert shares_subject(c07, subject | {"gulag"}, idf, sim=0.7, policy=POLICY)
    assert not shares_subject(c07, subject | {"gulag"}, idf, sim=0.7, policy=POLICY, asserted={"deaths"})
    deaths = replace(c07, figures=(Figure("deaths", "1.6 million", "1.6 million"),))
    assert shares_subject(deaths, subject | {"gulag"}, idf, sim=0.7, policy=POLICY, asserted={"deaths"})


def test_another_language_checks_the_closest_claim_only_when_its_digest_was_found():
    """A Spanish question on the Hunger Plan is close to the essay's terror sentence in the
    multilingual space; without the terror digest among the literature found it gets no card,
    and the next-closest claim does not take its place."""
    c27 = replace(C27, digests=("germany-and-the-us",))
    c45 = replace(C45, digests=("lend-lease-volumes",))
    q = WeightedQuery.build("", "")
    sims = {"C27": 0.45, "C45": 0.40}

    def ranked(near: frozenset[str]) -> list[str]:
        out = rank_claims(
            q,
            set(),
            hits(E_HITLER, E_TRUCKS),
            [c27, c45],
            idf,
            sims,
            POLICY,
            multilingual=True,
            near_digests=near,
        )
        return [m.claim.id for m in out]

    assert ranked(frozenset({"germany-and-the-us"})) == ["C27"]
    assert ranked(frozenset({"lend-lease-volumes", "hunger-plan"})) == []  # not C45 instead
    assert ranked(frozenset()) == ["C27"]  # no literature to go by: the similarity decides


def test_a_claims_correction_is_the_passage_of_its_digests_that_states_its_rationale():
    from rag.compose import correction_passages

    c45 = replace(C45, digests=("lend-lease-volumes",))
    right = lit("l1", "U.S. records show 427,284 trucks delivered.", source="lend-lease-volumes")
    other = lit("l2", "Jeeps were popular with the Red Army.", source="lend-lease-volumes")
    elsewhere = lit("l3", "U.S. records show 427,284 trucks.", source="another-digest")
    out = correction_passages([c45, C27], [other, right, elsewhere, E_TRUCKS], idf)
    assert out == {"C45": right}  # C27 names no digest, the other digest's passage is not its own


def test_a_paragraph_named_by_its_place_is_found():
    from rag.compose import _placed_paragraphs

    title = essay("e0", "Poison Partners", 0)
    opening = essay("e4", "One of the most-incongruous aspects of World War II is the alliance. " * 4, 4)
    last = essay("e43", "U.S. President Franklin Roosevelt and other American leaders supported Stalin.", 43)
    ctx = Context(claims=[], idf=idf, essay_passages=[title, opening, last])
    assert _placed_paragraphs("which sentences in the essay's final paragraph should I flag?", ctx) == {43}
    assert _placed_paragraphs("what does its conclusion get wrong?", ctx) == {43}
    assert _placed_paragraphs("is the opening paragraph accurate?", ctx) == {4}  # not the title line
    assert _placed_paragraphs("what was the first Five-Year Plan?", ctx) == frozenset()


def test_words_the_question_quotes_are_in_the_essay_excerpt():
    from rag.compose import _with_quoted

    text = (
        "The Soviet Union was created for war and conquest. It could either spread over the entire "
        "planet or die. It was crushed in 1991 by the burden of its military expenditures."
    )
    claim = "crushed in 1991 by the burden of its military expenditures"
    assert _with_quoted(text, "", ["could either spread over the entire planet"], 420) == (
        "could either spread over the entire planet"
    )
    both = _with_quoted(text, claim, ["was created for war and conquest"], 420)
    assert both.startswith("was created for war") and both.endswith(claim)
    assert (
        _with_quoted(text, claim, ["was created for war and conquest"], 80) == claim
    )  # too long: the claim's
    assert _with_quoted(text, claim, ["hold hands with the devil"], 420) == claim


def test_a_claim_the_question_takes_for_granted_is_met_by_a_sentence_that_settles_it():
    from rag.premise import assertion, check_claim

    p = Premise("Stalin was about to invade Germany in July 1941, so Barbarossa was self-defence, right?")
    assert assertion(p.text) == "Stalin was about to invade Germany in July 1941"
    assert (
        assertion("Everyone knows the POWs sent back were all shot, right?")
        == "the POWs sent back were all shot"
    )
    texts = [
        "Mosier wrote *The Blitzkrieg Myth*. He taught English.",
        "Suvorov sold well. Most specialists reject it.",
    ]
    shown = [replace(lit(f"l{i}", t), marker=f"L{i}", quote=t) for i, t in enumerate(texts, 1)]
    out = check_claim(p, shown)
    assert out == (
        "The question takes for granted that Stalin was about to invade Germany in July 1941; the literature says: "
        "“Most specialists reject it.” [L2]"
    )  # not the title "*The Blitzkrieg Myth*"
    assert check_claim(Premise("is that right?"), shown) == ""  # nothing asserted
    assert check_claim(p, shown[:1]) == ""  # no sentence settles it: no line
    assert analyze("Uralvagonzavod was a secret tank plant, correct?").premise is not None


def test_a_figure_the_literature_names_only_to_reject_it_is_rejected():
    text = (
        "U.S. records show 427,284 trucks delivered. Some popular accounts give 750,000 trucks and jeeps. "
        "That total has no support in the delivery records."
    )
    shown = [replace(lit("l1", text), marker="L1", quote=text)]
    p = Premise("the US sent 750,000 trucks, right?", figures=tuple(extract("750,000 trucks")))
    out = premise.check(p, shown)
    assert "the literature rejects that figure" in out
    assert (
        "“Some popular accounts give 750,000 trucks and jeeps. That total has no support in the delivery records.” [L1]"
        in out
    )
    assert verify(_answer_with_premise(out, shown)) is not None


def _answer_with_premise(text: str, shown):
    from rag.models import Answer

    return Answer(
        question="q",
        resolved_question="q",
        abstained=False,
        summary="",
        premise=text,
        literature=tuple(shown),
    )


def test_the_premise_check_never_quotes_a_digest_s_own_question_and_knows_asking_from_assuming():
    text = "Did the 303 plants make 85% of the shells? The official history says 303 plants were lost."
    shown = [replace(lit("l1", text), marker="L1", quote=text)]
    figs = tuple(extract("303 factories"))
    out = premise.check(Premise("the essay says 303 factories. legit?", figures=figs), shown)
    assert out.startswith("The question asks about 303 factories")
    assert "“The official history says 303 plants were lost.” [L1]" in out
    assert premise.check(Premise("so 303 factories were lost, right?", figures=figs), shown).startswith(
        "The question assumes"
    )


def test_counting_questions_in_other_languages_name_what_they_count():
    from rag.figures import foreign_counted_kinds as kinds

    assert kinds("Wie viele Lastwagen schickten die USA der Sowjetunion?") == {"trucks"}
    assert kinds("Сколько танков отправили союзники в СССР?") == {"tanks"}
    assert kinds("¿Cuántas personas murieron en la hambruna?") == {"deaths"}  # people who died: deaths
    assert kinds("Combien de paysans ont été déportés ?") == {"people"}
    assert kinds("Qui a conçu Magnitogorsk ?") == set()  # counts nothing


def test_another_language_counting_trucks_gets_no_claim_that_counts_something_else():
    q = WeightedQuery.build("", "")
    out = rank_claims(
        q,
        set(),
        hits(E_HITLER, E_TRUCKS),
        [C27, C45],
        idf,
        {"C27": 0.6, "C45": 0.4},
        POLICY,
        multilingual=True,
        kinds={"trucks"},
    )
    assert [m.claim.id for m in out] == ["C45"]  # C27 is closer but counts nothing


def test_a_topic_takes_in_claims_whose_digest_is_named_for_it():
    trucks = replace(C45, digests=("lend-lease-volumes",))
    tonnage = replace(trucks, id="C42", quote="149,500 tons a month", verdict="unverifiable", figures=())
    lendlease = replace(C27, id="C17", quote="approval for Lend-Lease", paragraph=19, digests=("fdr",))
    others = [replace(C27, id=f"X{i}") for i in range(8)]
    claims = [trucks, tonnage, lendlease, *others]
    got = overview.topic_claims("what does it get wrong about lend-lease?", claims, idf)
    assert {c.id for c in got} == {"C45", "C42", "C17"}  # the trucks claim never says "Lend-Lease"
    own = overview.topic_claims("what does it get wrong about lend-lease?", claims, idf, digests=False)
    assert {c.id for c in own} == set()  # one claim's own words only: no topic


def test_a_round_head_count_names_a_claim_only_with_a_word_of_its_subject():
    from rag.claimmatch import Cues

    c03 = Claim(
        id="C03",
        quote="Stalin said that we relocated 10 million. In reality, we relocated 20 million.",
        paragraph=7,
        footnotes=(),
        verdict="contradicted",
        rationale="About 2.3 million were deported.",
        figures=(Figure("people", "10 million", "Ten millions"),),
    )
    ara = "did the ARA really feed 10 million people a day in the 1921 famine"
    assert not Cues.of(ara).name(c03, idf)  # the same number, another subject
    assert Cues.of("did Stalin say he relocated 10 million people?").name(c03, idf)
    # a precise figure, or one that says what it counts, names its claim by itself
    assert Cues.of("is the 750,000 trucks figure right?").name(C45, idf)


def test_a_question_dated_to_years_its_claim_never_nears_gets_no_card():
    from rag.claimmatch import same_years, years_named

    famine = "The Soviet collectivization of 1932-1933 is estimated to have resulted in 3.5 million deaths."
    assert years_named("the 1921 famine") == frozenset({1921})
    assert 1935 in years_named("in the 1930s")
    assert not same_years(years_named("the 1921 famine"), famine)
    assert same_years(years_named("the famine of 1931"), famine)  # within two years
    assert same_years(frozenset(), famine) and same_years({1921}, "A paragraph without dates.")


def test_a_single_question_keeps_a_close_second_card_on_the_same_subject_only():
    from rag.claimmatch import ClaimMatch, same_subject_second

    e38 = essay("e30", "In Stalingrad, a tractor factory was also built that in reality was for tanks.", 30)
    e35 = essay("e31", "The Chelyabinsk tractor factory was built so that it could switch to tanks.", 31)
    c38 = Claim(
        "C38",
        "In Stalingrad, a tractor factory was also built that in reality was for tanks",
        30,
        (),
        "contradicted",
        "r",
    )
    c35 = Claim(
        "C35",
        "The Chelyabinsk tractor factory was built so that it could switch to tanks",
        31,
        (),
        "needs-context",
        "r",
    )
    found = [ClaimMatch(c38, 1.0, hits(e38)[0]), ClaimMatch(c35, 0.9, hits(e35)[0])]
    subject = set(tokenize("the tractor works were built for tanks"))
    both = same_subject_second(found, subject, idf, {"C38": 0.61, "C35": 0.58}, 0.05)
    assert [m.claim.id for m in both] == ["C38", "C35"]
    # farther from the question than the gap allows: one card
    one = same_subject_second(found, subject, idf, {"C38": 0.61, "C35": 0.50}, 0.05)
    assert [m.claim.id for m in one] == ["C38"]
    # names less of the subject than the first: one card
    fewer = same_subject_second(
        found, set(tokenize("stalingrad tractor works built for tanks")), idf, {"C38": 0.61, "C35": 0.6}, 0.05
    )
    assert [m.claim.id for m in fewer] == ["C38"]


def test_round_figures_written_in_words_are_figures_after_those_in_digits():
    assert [(q.kind, q.value) for q in extract("the ARA was feeding about ten million people a day")] == [
        ("people", 1e7)
    ]
    both = extract("Roughly three million of them died; Streit estimates 3.3 million deaths")
    assert both[0].text == "3.3 million" and both[1].text == "three million"
