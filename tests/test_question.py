"""Question analysis on hand-built inputs: language, intent, parts, premise, names, follow-ups."""

import pytest

from rag.followup import resolve_history
from rag.question import Lexicon, analyze, detect_intent, detect_language, find_premise, split_parts

LEXICON = Lexicon.build(
    [
        "Komsomolsk-na-Amure was built by Gulag prisoners. Stalin and Molotov met. John Mosier wrote Deathride.",
        "Magnitogorsk was designed by McKee. The Five-Year Plan began. Uralvagonzavod and Chelyabinsk built tanks.",
        "Inconvenient History is a journal. Roosevelt spoke in Berlin. The Marshall of the court had a plan.",
    ]
)


@pytest.mark.parametrize(
    "text,lang",
    [
        ("Wie viele Lastwagen schickten die USA an die Sowjetunion?", "de"),
        ("War Roosevelt wirklich ein Freund Stalins?", "de"),
        ("¿Cuántas personas pasaron por el Gulag?", "es"),
        ("Qui a conçu Magnitogorsk ?", "fr"),
        ("Когда начался второй пятилетний план?", "ru"),
        ("מי כתב את המאמר?", "he"),
        ("what was komsomolsk", "en"),
        ("How many trucks did the US send?", "en"),
        ("Did Stalin plan to attack Germany in 1941?", "en"),
    ],
)
def test_language(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    "text,intent",
    [
        ("What is this essay about?", "overview"),
        ("give me the gist", "overview"),
        ("What are the biggest errors in the essay?", "right-wrong"),
        ("Is any of it accurate?", "right-wrong"),
        ("Which claims in the Roosevelt section are contradicted?", "right-wrong"),
        ("Is Inconvenient History a reliable source?", "source"),
        ("whos john wear", "source"),
        ("Is this article antisemitic?", "source"),
        ("Compare the essay's truck and tank figures", "compare"),
        ("How many trucks did the Allies send?", "claim"),
    ],
)
def test_intent(text, intent):
    assert detect_intent(text) == intent


def test_multi_part_questions_split_into_sub_questions():
    assert split_parts("When did the second five year plan start and who built magnitogorsk?") == (
        "When did the second five year plan start",
        "who built magnitogorsk",
    )
    assert split_parts("How many trucks and jeeps did the Allies send?") == (
        "How many trucks and jeeps did the Allies send?",
    )  # "and" inside a noun phrase does not split


def test_premises_asserted_figures_and_cues():
    p = find_premise("Since 10 million were executed in the Great Terror, wasn't FDR complicit?")
    assert p is not None and p.figures[0].text == "10 million" and p.figures[0].kind == "deaths"
    assert find_premise("the US gave 750,000 trucks, right?").figures[0].kind == "trucks"
    assert find_premise("surely Lend-Lease won the war") is not None
    assert find_premise("How many trucks did the US send?") is None  # asking is not asserting


def test_names_are_found_case_insensitively_anywhere():
    assert "komsomolsk-na-amure" in LEXICON.names or "komsomolsk" in " ".join(LEXICON.names)
    assert LEXICON.find("what did mosier say about magnitogorsk") == ("mosier", "magnitogorsk")
    assert LEXICON.find("Magnitogorsk: who designed it?") == ("magnitogorsk",)  # first word too


def test_misspelt_names_are_corrected_and_ordinary_words_are_not():
    assert LEXICON.correct("who designed magnitagorsk") == "who designed magnitogorsk"
    assert LEXICON.correct("stallin and molotov") == "stalin and molotov"
    assert LEXICON.correct("and planes?") == "and planes?"


def test_unknown_names_mark_near_domain_questions():
    assert "Korean" in LEXICON.unknown("How many died in the Korean War?")
    assert "Marshall Plan" in LEXICON.unknown("How much did the Marshall Plan give?")
    assert LEXICON.unknown("Who designed Magnitogorsk?") == ()


def test_a_contraction_and_a_war_abbreviation_are_not_unknown_names():
    assert LEXICON.unknown("Is that right? I'd like to open the lesson with Stalin's plan.") == ()
    lexicon = Lexicon.build(["Tanks of World War II were counted."])
    qa = analyze("How reliable are the tank numbers? I teach the WW2 option.", [], lexicon)
    assert qa.unknown_names == () and "World War II" in qa.resolved


def test_words_the_corpus_never_uses_are_listed_but_misspellings_are_not():
    assert LEXICON.unknown_words("what did he do in paris") == ("paris",)
    assert LEXICON.unknown_words("who was mosier and what did magnitagorsk build") == ()


def test_a_web_address_names_the_corpus_outlet():
    assert LEXICON.expand_domains("posts that link to inconvenienthistory.com?") == (
        "posts that link to inconvenient history?"
    )
    assert LEXICON.expand_domains("see https://www.mosier.org/about") == "see mosier"
    assert LEXICON.expand_domains("try example.com") == "try example.com"
    qa = analyze("Should we delete posts that link to inconvenienthistory.com?", [], LEXICON)
    assert qa.intent == "source" and "inconvenient" in qa.entities


@pytest.mark.parametrize(
    "q,history,expected",
    [
        (
            "And how many tanks did they send?",
            ["How many trucks and jeeps did the Allies send to the Soviet Union?"],
            "And how many tanks did they send? (Allies send Soviet Union)",
        ),
        (
            "And aircraft?",
            ["How many trucks and jeeps did the Allies send to the Soviet Union?", "and tanks?"],
            "And aircraft? (Allies send Soviet Union)",
        ),  # the subject carries over two turns
        (
            "and tanks?",
            ["how much lend lease did the soviets get", "how many trucks was that"],
            "and tanks? (lend lease soviets get)",
        ),  # a subject focus is kept; only a counted kind is swapped
        ("what about him?", ["Who is John Mosier?"], "what about him? (John Mosier)"),
        (
            "so was he right?",
            ["What did Suvorov argue about Stalin?", "what sources does he use?"],
            "so was he right? (Suvorov argue Stalin sources use)",
        ),  # later follow-ups add their words
    ],
)
def test_follow_ups_resolve_against_the_whole_history(q, history, expected):
    names = frozenset(
        {"allies", "soviet", "soviets", "mosier", "suvorov", "stalin", "uralvagonzavod", "chelyabinsk"}
    )
    assert resolve_history(q, history, names) == (expected, True)


def test_a_follow_up_that_names_a_new_place_replaces_the_old_one():
    names = frozenset({"uralvagonzavod", "chelyabinsk"})
    resolved, _ = resolve_history("ok and chelyabinsk?", ["How many T-34s did Uralvagonzavod build?"], names)
    assert "Uralvagonzavod" not in resolved and "build" in resolved


def test_analyze_puts_it_together():
    q = analyze("wat did stallin build at magnitagorsk and who designed it?", [], LEXICON)
    assert (
        q.language == "en" and len(q.parts) == 2 and "stalin" in q.resolved and "magnitogorsk" in q.resolved
    )
    assert q.entities[:2] == ("stalin", "magnitogorsk")
    de = analyze("Wie viele Lastwagen schickten die USA?", [], LEXICON)
    assert de.language == "de" and de.premise is None and de.parts == (de.text,)


def test_a_misspelt_scale_word_keeps_the_figure_a_million():
    from rag.question import analyze, fix_scale_words

    assert fix_scale_words("molotov 20 milion relocated, 3 millon dead, 2 bilions") == (
        "molotov 20 million relocated, 3 million dead, 2 billions"
    )
    q = analyze("molotov 20 milion relocated true??")
    assert q.premise is not None and all(f.kind != "people" or "million" in f.text for f in q.premise.figures)


def test_a_follow_up_pronoun_keeps_the_anchor_subject():
    """ "but who built it, americans?": "it" is Magnitogorsk, and "Americans" does not replace it;
    "and what happened to Beria after that?" swaps the subject ("that" is not the subject)."""
    from rag.followup import resolve_history

    names = frozenset({"magnitogorsk", "americans", "american", "beria", "gulag"})
    text, followup = resolve_history(
        "but who actually built it, americans?", ["What does the essay say about Magnitogorsk?"], names
    )
    assert followup and "Magnitogorsk" in text
    text, _ = resolve_history(
        "and what happened to beria himself after that?",
        ["What happened to the Gulag after Stalin died?"],
        names,
    )
    assert "Gulag" not in text


def test_a_short_word_with_one_letter_dropped_is_corrected_only_when_one_word_fits():
    from rag.question import _drops_one

    assert _drops_one("truks", "trucks")
    assert not _drops_one("rucks", "trucks")  # never the first letter
    assert not _drops_one("planes", "plans")


def test_the_named_thing_whose_head_noun_the_corpus_never_uses_is_unknown():
    """ "the Berlin airlift": Berlin is known, an airlift never is."""
    lx = Lexicon.build(["Berlin was bombed.", "The blockade of Berlin. Trucks and tanks were sent."])
    assert "Berlin airlift" in lx.unknown("How many tons did the Berlin airlift deliver?")
    assert lx.unknown("How many trucks were sent to Berlin?") == ()


def test_chat_shorthand_is_read_in_the_corpus_s_words():
    from rag.question import normalise

    assert normalise("ppl lived badly under the 5 yr plans bc everything went") == (
        "people lived badly under the Five-Year Plans because everything went"
    )
    assert normalise("in 300 BC it") == "in 300 BC it"  # a date, not "because"
    assert (
        normalise("When did the second Five-Year Plan begin?") == "When did the second Five-Year Plan begin?"
    )


def test_teaching_questions_are_about_the_source():
    q = analyze("I run an adult media-literacy night class. What exercises could I build around this essay?")
    assert q.intent == "source"
    assert analyze("what in it would mislead my pupils most?").intent == "right-wrong"
    # a teacher checking a claim is checking a claim
    assert (
        analyze("Was the essay right that US firms chased Soviet contracts? Planning a lesson.").intent
        == "claim"
    )


def test_a_known_word_before_a_name_the_corpus_uses_is_not_an_unknown_name():
    lx = Lexicon.build(["The Hunger Plan foresaw starving millions.", "Nazi Germany invaded in 1941."])
    assert lx.unknown("What was the Nazi Hunger Plan?") == ()
    assert "Nazi Marshall Plan" in lx.unknown(
        "What was the Nazi Marshall Plan?"
    )  # neither pair is the corpus's


def test_short_scales_and_spaced_thousands_are_figures():
    from rag.question import normalise

    assert normalise("did it sell 700k copies") == "did it sell 700,000 copies"
    assert normalise("1.5m deaths, 2bn dollars") == "1.5 million deaths, 2 billion dollars"
    assert normalise("12 575 tanks in 1941 500 miles") == "12,575 tanks in 1941 500 miles"
    assert analyze("is it true it sold 700k copies?").premise.figures[0].value == 700_000


def test_a_question_whose_subject_is_a_pronoun_leans_on_the_one_before():
    hist = ["who designed magnitogorsk", "and who built the stalingrad tractor plant?"]
    resolved, followup = resolve_history("did it make tanks from the start like the essay says?", hist)
    assert followup and "stalingrad tractor" in resolved
    # a dummy "it" is no pronoun for the past, however short the rest
    assert resolve_history("is it true that the gulag killed 20 million?", hist[:1]) == (
        "is it true that the gulag killed 20 million?",
        False,
    )
    assert resolve_history("is it true?", hist[:1])[1]
