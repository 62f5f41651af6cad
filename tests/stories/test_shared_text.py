"""What an article's vector in the shared space (bridges, cross-space merges and marks) is made
of: the title, or a short item (a feed item's title and summary) whole."""

from __future__ import annotations

from newsloom.models import Article
from newsloom.stories.spaces import title_text
from newsloom.stories.vectors import title_text as prepared_title_text


def _article(title: str, text: str) -> Article:
    return Article(url="https://example.org/1", title=title, text=text, lang="nl")


def test_a_short_item_is_compared_whole_in_the_shared_space() -> None:
    a = _article("Markten  stijgen wereldwijd",
                 "De markten zijn wereldwijd gestegen na inspanningen van overheden.")
    out = title_text(a)
    # its one sentence says what the title leaves out; the title is still first
    assert out.startswith("Markten stijgen wereldwijd") and "overheden" in out
    # the vectors computed ahead in the workers embed the same text as the service
    assert prepared_title_text(a) == out


def test_a_full_article_is_compared_by_its_title_alone() -> None:
    body = " ".join(["De markten zijn wereldwijd gestegen na inspanningen van overheden."] * 20)
    a = _article("Markten stijgen wereldwijd", body)
    assert title_text(a) == "Markten stijgen wereldwijd"
    assert prepared_title_text(a) == "Markten stijgen wereldwijd"


def test_no_title_means_no_shared_vector() -> None:
    # without a title nothing is bridged (as before): the summary alone is not enough to ask for one
    assert title_text(_article("", "Een korte zin over de markten.")) == ""
