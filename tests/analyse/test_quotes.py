"""Quotes: marks per language, speakers before/after, multi-paragraph, scare quotes, seeds."""

from __future__ import annotations

import pytest

from newsloom.analyse.quotes import Quote, extract_quotes
from newsloom.errors import AnalyseError


def one(text: str, lang: str | None) -> Quote:
    quotes = extract_quotes(text, lang)
    assert len(quotes) == 1, quotes
    return quotes[0]


@pytest.mark.parametrize(
    "lang,text,quote,speaker",
    [
        # speaker after the quote
        ("en", "“We will not give up this territory,” Igor Rudenko said.",
         "We will not give up this territory", "Igor Rudenko"),
        ("en", "“We will not give up this territory,” said Maria Lopez, a local teacher.",
         "We will not give up this territory", "Maria Lopez"),
        ("en", "‘The bridge will reopen next week,’ Tom Hardy told reporters.",
         "The bridge will reopen next week", "Tom Hardy"),
        ("en", '"The bridge will reopen next week," Tom Hardy told reporters.',
         "The bridge will reopen next week", "Tom Hardy"),
        ("es", "«No enviaremos tropas a la frontera», dijo Pedro Sánchez en Madrid.",
         "No enviaremos tropas a la frontera", "Pedro Sánchez"),
        ("es", "“No enviaremos tropas a la frontera”, afirmó el ministro Pedro Sánchez.",
         "No enviaremos tropas a la frontera", "Pedro Sánchez"),
        ("pt", "“Foi tomada a decisão de entregar as tropas”, disse o ministro de defesa, "
               "Oleksii Reznikov, em um comunicado.",
         "Foi tomada a decisão de entregar as tropas", "Oleksii Reznikov"),
        ("fr", "« Nous ne céderons pas un mètre de terrain », a déclaré Emmanuel Macron.",
         "Nous ne céderons pas un mètre de terrain", "Emmanuel Macron"),
        ("de", "„Wir werden die Armee weiter stärken“, sagte Olaf Scholz am Montag.",
         "Wir werden die Armee weiter stärken", "Olaf Scholz"),
        ("de", "»Wir werden die Armee weiter stärken«, sagte Olaf Scholz am Montag.",
         "Wir werden die Armee weiter stärken", "Olaf Scholz"),
        ("de", "‚Wir werden die Armee weiter stärken‘, erklärte Olaf Scholz.",
         "Wir werden die Armee weiter stärken", "Olaf Scholz"),
        ("it", "«Non manderemo soldati oltre il confine», ha detto Giorgia Meloni a Roma.",
         "Non manderemo soldati oltre il confine", "Giorgia Meloni"),
        ("ru", "«Мы не отдадим ни метра земли», — заявил Владимир Путин в Москве.",
         "Мы не отдадим ни метра земли", "Владимир Путин"),
        ("nl", "„We sturen geen troepen naar de grens”, zei Mark Rutte.",
         "We sturen geen troepen naar de grens", "Mark Rutte"),
        ("en", "Witnesses wrote 「the whole street was on fire」, Anna Kowalski said.",
         "the whole street was on fire", "Anna Kowalski"),
        # speaker before the quote
        ("en", "Igor Rudenko told a news conference that his “decision to surrender was the "
               "right one”.", "decision to surrender was the right one", "Igor Rudenko"),
        ("en", "Northrop Grumman CEO Ron Sugar said: “Everyone told us we were crazy.”",
         "Everyone told us we were crazy.", "Ron Sugar"),
        ("es", "Según Pedro Sánchez, “no habrá más recortes este año”.",
         "no habrá más recortes este año", "Pedro Sánchez"),
        ("pt", "Segundo Oleksii Reznikov, “as tropas vão voltar para casa”.",
         "as tropas vão voltar para casa", "Oleksii Reznikov"),
        ("fr", "Selon Emmanuel Macron, « la France restera aux côtés de l'Ukraine ».",
         "la France restera aux côtés de l'Ukraine", "Emmanuel Macron"),
        ("de", "Laut Olaf Scholz „wird die Bundeswehr besser ausgerüstet“.",
         "wird die Bundeswehr besser ausgerüstet", "Olaf Scholz"),
        ("it", "Secondo Giorgia Meloni, «il governo non cadrà entro l'estate».",
         "il governo non cadrà entro l'estate", "Giorgia Meloni"),
        ("ru", "По словам Сергея Лаврова, «переговоры продолжатся на следующей неделе».",
         "переговоры продолжатся на следующей неделе", "Сергея Лаврова"),
    ],
)
def test_quote_styles_and_speakers(lang: str, text: str, quote: str, speaker: str) -> None:
    q = one(text, lang)
    assert q.text == quote
    assert q.speaker == speaker
    assert q.lang == lang
    assert text[q.start] in "“‘\"«„»‚「"


def test_dash_attribution() -> None:
    q = one("“Nobody will be left behind in this war.” — Anna Kowalski", "en")
    assert q.speaker == "Anna Kowalski"


def test_russian_dialogue_dash() -> None:
    q = one("— Мы не отступим ни на шаг, — сказал Иван Петров.", "ru")
    assert q.text == "Мы не отступим ни на шаг"
    assert q.speaker == "Иван Петров"
    assert q.verb == "сказал"


def test_dash_list_item_is_not_a_quote() -> None:
    assert extract_quotes("— Первый пункт повестки дня — бюджет города.", "ru") == []


def test_pronoun_resolves_to_last_named_subject() -> None:
    text = ("Alexei Zheleznyak, a soldier from the 34th brigade, surrendered.\n\n"
            "He warned Putin that he would never win.\n\n"
            "“Putin is bombing hospitals and cities of Ukraine,” he said.")
    assert one(text, "en").speaker == "Alexei Zheleznyak"


def test_surname_speaker_expands_to_full_name() -> None:
    text = ("Igor Rudenko, a signal officer, spoke first.\n\n"
            "“If you are left with honor, don’t repeat my mistakes,” Rudenko said.")
    q = one(text, "en")
    assert q.speaker == "Igor Rudenko" and q.verb == "said"


def test_multi_paragraph_quote_is_one_quote() -> None:
    text = ("“People of Russia, don’t look at zombies. They are united.\n\n"
            "“No matter how many troops he sends, he will not take this territory.\n\n"
            "“He deceived the whole of Russia,” said Alexander Fomenko.")
    q = one(text, "en")
    assert q.text.startswith("People of Russia") and q.text.endswith("the whole of Russia")
    assert "No matter how many troops" in q.text
    assert "“" not in q.text
    assert q.speaker == "Alexander Fomenko"


def test_quote_over_a_line_break_closes_on_the_next_line() -> None:
    text = 'Ron Sugar said in an interview "Everyone told us we were crazy.\nBut we hit a home run. "'
    q = one(text, "en")
    assert q.text.endswith("home run.") and q.speaker == "Ron Sugar"


@pytest.mark.parametrize(
    "lang,text",
    [
        ("en", "Russian prisoners call Putin a ‘liar’ and the war ‘a mistake’ in the video."),
        ("en", 'The so-called "special military operation" began in February.'),
        ("es", "El llamado «plan de paz» no convenció a nadie."),
        ("de", "Die sogenannte „Zeitenwende“ wurde ausgerufen."),
        ("fr", "Le « plan B » a été abandonné."),
    ],
)
def test_scare_quotes_are_not_quotes(lang: str, text: str) -> None:
    assert extract_quotes(text, lang) == []


def test_apostrophes_do_not_open_or_close_quotes() -> None:
    text = "‘I don’t think we’ll win this war, frankly,’ said Tom Hardy."
    q = one(text, "en")
    assert q.text == "I don’t think we’ll win this war, frankly" and q.speaker == "Tom Hardy"


def test_unattributed_quote_kept_with_no_speaker() -> None:
    q = one("The crowd fell silent.\n\n“It is hard to see what comes next for all of us.”", "en")
    assert q.speaker is None and q.verb is None


def test_offsets_point_at_the_opening_mark() -> None:
    text = "Before. «Nous ne céderons pas un mètre», a dit Emmanuel Macron."
    q = one(text, "fr")
    assert text[q.start] == "«"


def test_bad_input() -> None:
    with pytest.raises(AnalyseError, match="expected str"):
        extract_quotes(None, "en")  # type: ignore[arg-type]
    assert extract_quotes("", None) == []


def test_to_dict() -> None:
    d = one("“We will not give up this territory,” Igor Rudenko said.", "en").to_dict()
    assert d["speaker"] == "Igor Rudenko" and d["start"] == 0 and d["verb"] == "said"


# --- the two seed pages ------------------------------------------------------------------------


def _seed(shared_dir, prefix: str) -> str:  # type: ignore[no-untyped-def]
    found = sorted((shared_dir / "seeds").glob(f"{prefix}*.txt"))
    if not found:
        pytest.skip(f"seed {prefix}* not found in {shared_dir / 'seeds'}")
    return found[0].read_text(encoding="utf-8")


def test_seed_english_aggregator_page(shared_dir) -> None:  # type: ignore[no-untyped-def]
    quotes = extract_quotes(_seed(shared_dir, "000_"), "en")
    by_start = {q.text.split()[0]: q for q in quotes}
    rudenko = [q for q in quotes if q.text.startswith("If you (Russian military)")]
    assert rudenko and rudenko[0].speaker == "Igor Rudenko"
    assert by_start["decide"].speaker == "Igor Rudenko"
    assert by_start["Putin,"].speaker == "Alexei Zheleznyak"
    fomenko = [q for q in quotes if q.text.startswith("I ask you")]
    assert fomenko and fomenko[0].speaker == "Alexander Fomenko"
    # the three-paragraph quote is one quote, the scare quote ‘liars’ is none
    assert any(q.text.startswith("People of Russia") and "fascists" in q.text for q in quotes)
    assert not any(q.text == "liars" for q in quotes)


def test_seed_portuguese_page(shared_dir) -> None:  # type: ignore[no-untyped-def]
    quotes = extract_quotes(_seed(shared_dir, "004_"), "pt")
    reznikov = [q for q in quotes if q.text.startswith("Foi tomada a decisão")]
    assert reznikov and all(q.speaker == "Oleksii Reznikov" for q in reznikov)
    assert all(q.verb == "disse" for q in reznikov)
