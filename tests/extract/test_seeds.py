"""The two real seed pages, fed through the real path as text/plain documents."""

from __future__ import annotations

import re

import pytest

from newsloom.extract import extract
from newsloom.models import Article

from ._pages import raw_text, shared_dir

SEED_000 = "000_24b84148c221d217.txt"
SEED_004 = "004_792b41666da6705b.txt"

REAL_000 = [
    "A group of Russian soldiers captured during",
    "Russian troops captured in Ukraine have called",
    "A group of Russian soldiers sent to Ukraine",
    "Alexei Zheleznyak, a soldier",
    "He warned Putin",
    "“Putin, not declaring war",
    "“People of Russia",
    "“No matter how much Putin",
    "“He deceived not only us",
    "Mustafaev Mugsad",
    "He talked about Ukrainians",
    "“I wouldn’t say",
    "“Everyone, Russian military men",
    "Mr. Mugsad went on",
    "Igor Rudenko",
    "He said that the Russians had lost",
    "It is difficult to confirm",
    "“If you (Russian military)",
    "“Let’s send the army",
    "He also added that",
    "The commander of the automotive division",
    "“I ask you to take out the road",
    "“Don’t be afraid",
    "“You can go out",
    "The Kremlin has yet to respond",
    "Publishing videos of prisoners",
    "Article 13 of the treaty",
    "It is unclear under what conditions",
    "It is also difficult to gauge",
    "Putin appeared at a major pro-war rally",
    "Police forces brutally suppressed",
]

REAL_004 = [
    "A invasão da Rússia",
    "Nas imagens um soldado",
    "O jovem declara",
    "“Fomos enviados",
    "Segundo o Pentágono",
    "Eles alegam que",
    "“Um número significativo",
    "O governo ucraniano",
    "Segundo informações do The Times of Israel",
    "“Foi tomada a decisão",
]


def _run(name: str) -> tuple[str, Article]:
    path = shared_dir() / "seeds" / name
    if not path.is_file():
        pytest.skip(f"{path}: seed not found in ../shared")
    before = path.read_text(encoding="utf-8")
    article = extract(raw_text(before, url=f"file://{path}"))
    # Shown by pytest when an assertion fails.
    print("=== BEFORE ===\n" + before + "\n=== AFTER ===\n" + article.text)
    print(
        "=== LOG ===", article.cleanup_log, "\nimages:", article.images, "\nembeds:", article.embeds
    )
    return before, article


def _paras(article: Article) -> list[str]:
    return article.text.split("\n\n")


def _assert_each_once(paras: list[str], starts: list[str]) -> None:
    for start in starts:
        n = sum(p.startswith(start) for p in paras)
        assert n == 1, f"real paragraph starting {start!r} found {n} times"


def test_000_aggregator_copy_is_cleaned() -> None:
    _, a = _run(SEED_000)
    paras = _paras(a)
    assert a.title and a.title.startswith("Crying Russian prisoners say")
    assert len(paras) == len(REAL_000), paras
    _assert_each_once(paras, REAL_000)
    for p in paras:
        assert not re.match(r"(?i)read more\b", p)
        assert p not in ("Related Articles", "Back to top button", "Fry Electronics Team")
        assert "aggregator" not in p and "24 hours" not in p
        assert not p.endswith(")") or "(" in p, f"credit fragment survived: {p!r}"
    assert a.text.count("Russian soldiers criticize the invasion") <= 1
    assert a.raw_text and "Back to top button" in a.raw_text  # kept for re-running cleanup


def test_000_captions_and_credits_are_structured() -> None:
    _, a = _run(SEED_000)
    pairs = {(i.caption, i.credit) for i in a.images}
    assert ("They appeared at an Interfax press conference", "Polaris / eyevine") in pairs
    assert (
        "A 70-year-old man evaluates his demolished apartment in Kyiv",
        "NurPhoto / PA images",
    ) in pairs
    assert (
        "Police officers arrest a man during an anti-conflict protest in Ukraine in central Moscow",
        "AFP via Getty Images",
    ) in pairs
    for caption, _credit in pairs:
        if caption:
            assert caption not in a.text


def test_000_is_marked_as_copy() -> None:
    _, a = _run(SEED_000)
    assert a.is_copy is True
    assert any(line.startswith("copy:") for line in a.cleanup_log)
    assert a.primary_url is None  # the text names no link to the primary source
    from newsloom.extract.cleanup import cleanup

    log = list(a.cleanup_log)
    cleanup(a)  # re-running cleanup keeps the copy verdict and logs the same rules
    assert a.cleanup_log == log and a.is_copy


def test_004_repeats_and_tweets() -> None:
    _, a = _run(SEED_004)
    paras = _paras(a)
    assert a.title is None  # the first line is a sentence, not a headline
    assert len(paras) == len(REAL_004), paras
    _assert_each_once(paras, REAL_004)
    for remnant in ("pic.twitter.com", "t.co/", "(@", "— "):
        assert remnant not in a.text
    assert any(line.startswith("repeats:") for line in a.cleanup_log)


def test_004_tweets_are_embeds() -> None:
    _, a = _run(SEED_004)
    tweets = {e.handle: e for e in a.embeds if e.kind == "tweet"}
    assert set(tweets) == {"MailOnline", "uw1gz", "TheRickyDavila"}
    mail = tweets["MailOnline"]
    assert mail.author == "Daily Mail Online" and mail.date == "March 2, 2022"
    assert mail.text and mail.text.startswith("Footage shows a handcuffed Russian prisoner")
    assert "https://t.co/pdD951QUnz" in mail.links and "pic.twitter.com/FFKwFN9g1C" in mail.links
    assert tweets["uw1gz"].author == "Dmitry"
    assert tweets["TheRickyDavila"].date == "February 26, 2022"
    assert tweets["TheRickyDavila"].text.startswith("A young captured Russian soldier")


def test_cleanup_rerun_is_idempotent() -> None:
    from newsloom.extract.cleanup import cleanup

    _, a = _run(SEED_004)
    text, embeds, images = a.text, list(a.embeds), list(a.images)
    cleanup(a)
    assert a.text == text and a.embeds == embeds and a.images == images
