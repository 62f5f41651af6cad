from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsloom.config import Settings
from newsloom.errors import ExtractionError
from newsloom.extract import extract, parse_date
from newsloom.models import FeedItem, Image

from ._pages import PARAS, page, raw_html, raw_text

HEAD = (
    "<meta name='author' content='Jane Doe; John Roe'>"
    "<meta property='og:site_name' content='City News'>"
    "<meta name='description' content='The council approved the northern tram line.'>"
    "<meta property='article:published_time' content='2024-03-01T10:00:00+00:00'>"
    "<meta property='article:modified_time' content='2024-03-02T08:30:00+00:00'>"
    "<link rel='canonical' href='/2024/tram'>"
)
FIGURE = (
    "<figure><img src='/img/tram.jpg' alt='tram'>"
    "<figcaption>A tram in the city centre <span class='credit'>Photo: Reuters</span></figcaption></figure>"
    "<figure><img data-src='https://cdn.example.com/mayor.jpg'>"
    "<figcaption>The mayor after the vote (Foto: dpa)</figcaption></figure>"
)


def test_metadata_and_figures() -> None:
    a = extract(raw_html(page(body=FIGURE, head=HEAD)))
    assert a.title == "Tram vote"
    assert a.authors == ["Jane Doe", "John Roe"]
    assert a.site_name == "City News"
    assert a.description == "The council approved the northern tram line."
    assert a.canonical_url == "https://news.example.com/2024/tram"
    assert a.published == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert a.updated == datetime(2024, 3, 2, 8, 30, tzinfo=UTC)
    assert (
        Image("https://news.example.com/img/tram.jpg", "A tram in the city centre", "Reuters")
        in a.images
    )
    assert Image("https://cdn.example.com/mayor.jpg", "The mayor after the vote", "dpa") in a.images
    assert a.text.split("\n\n") == PARAS  # headline and nav/footer are not body text
    assert a.raw_text is not None and not a.is_copy


def test_future_date_is_rejected() -> None:
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    head = f"<meta property='article:published_time' content='{future}'>"
    a = extract(raw_html(page(head=head)))
    assert a.published is None or a.published <= datetime.now(UTC) + timedelta(days=1)


def test_parse_date_bounds() -> None:
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_date("2024-05-02T06:00:00+00:00", now) is not None  # within a day: time zones
    assert parse_date("2024-05-03T12:00:00+00:00", now) is None  # future
    assert parse_date("1970-01-01", now) is None  # absurd
    assert parse_date("2024-04-30", now) == datetime(2024, 4, 30, tzinfo=UTC)
    assert parse_date("not a date", now) is None
    assert parse_date(None, now) is None


def test_feed_date_fills_in_and_is_validated() -> None:
    item = FeedItem(
        url="https://news.example.com/x",
        title="From feed",
        published=datetime(2024, 1, 5, tzinfo=UTC),
    )
    a = extract(raw_html(page(), feed_item=item))
    assert a.published == datetime(2024, 1, 5, tzinfo=UTC)
    item.published = datetime.now(UTC) + timedelta(days=400)
    assert extract(raw_html(page(), feed_item=item)).published is None


def test_all_boilerplate_html_page() -> None:
    junk = [
        "Read more",
        "Share this",
        "Follow us on Twitter",
        "Related Articles",
        "Back to top button",
        "Sign up for our newsletter to get the best stories in your inbox every morning",
        "We use cookies to improve your experience. By continuing you accept all cookies.",
    ]
    with pytest.raises(ExtractionError, match=r"news\.example\.com.*no article"):
        extract(raw_html(page(paras=junk)))


def test_all_boilerplate_text_names_cleanup() -> None:
    junk = "Read more\n\nRelated Articles\n\nShare this article\n\nBack to top button\n\nFry is an automatic aggregator of the all world’s media. All trademarks belong to their rightful owners, all materials to their authors. The content will be deleted within 24 hours."
    with pytest.raises(ExtractionError, match=r"article\.txt: no article: .*after cleanup"):
        extract(raw_text(junk))


def test_short_page_and_min_text_setting() -> None:
    html = page(
        paras=["A short note of about ninety characters, which is below the default minimum."]
    ).replace("<article>", "<div>").replace("</article>", "</div>")  # nothing says "article"
    with pytest.raises(ExtractionError, match="minimum is 200"):
        extract(raw_html(html))
    assert "A short note" in extract(raw_html(html), Settings(min_text_chars=20)).text


def test_empty_html_shell() -> None:
    with pytest.raises(ExtractionError, match="no article"):
        extract(raw_html("<html><head><title>x</title></head><body><nav>Home</nav></body></html>"))


def test_not_html_garbage_is_a_clean_error() -> None:
    with pytest.raises(ExtractionError):
        extract(raw_html("<<<>>> <html <body> </p></p>"))


def test_plain_text_title_and_paragraphs() -> None:
    text = "Tram vote passes – City News\n\n" + "\n\n".join(PARAS) + "\n"
    a = extract(raw_text(text))
    assert a.title == "Tram vote passes – City News"
    assert a.text.split("\n\n") == PARAS


def test_plain_text_first_line_sentence_is_not_a_title() -> None:
    a = extract(raw_text("\n".join(PARAS)))
    assert a.title is None and a.text.split("\n\n") == PARAS


def test_plain_text_hard_wrapped_lines_are_joined() -> None:
    import textwrap

    body = "\n\n".join(textwrap.fill(p, 60) for p in PARAS)
    a = extract(raw_text("Tram vote\n\n" + body))
    assert a.text.split("\n\n") == PARAS


def test_content_type_sniffed_when_missing() -> None:
    a = extract(raw_html(page(), content_type=None))
    assert a.text.split("\n\n") == PARAS


def test_final_url_is_used() -> None:
    raw = raw_html(page(), final_url="https://news.example.com/final")
    assert extract(raw).url == "https://news.example.com/final"


def test_hover_cards_inside_sentences_are_removed_and_the_sentence_kept() -> None:
    """A card shown on hover next to a name (photo, the name again, links to other stories) is
    not text; the name and the rest of the sentence stay. A tooltip of plain text is kept."""
    card = ("<span class='rollover-people'><a href='/people/kowalski'>Anna Kowalski</a>"
            "<span class='rollover-people-block'><span class='rollover-block'><img src='/k.jpg' alt=''>"
            "<a class='name' href='/people/kowalski'>Anna Kowalski</a>"
            "<a href='/story/1'>Kowalski doubles down on tram plan</a> "
            "<a href='/story/2'>Council delays budget vote again</a></span></span></span>")
    paras = [f"Councillor {card} said the vote on the tram line was a victory for the northern districts.",
             "She had campaigned for the line for <span class='tooltip'>ten years"
             "<span class='tooltiptext'> (since 2014)</span></span>, she told reporters.", *PARAS]
    article = extract(raw_html(page(paras=paras)))
    assert ("Councillor Anna Kowalski said the vote on the tram line was a victory for the northern districts."
            in article.text), article.text
    assert "doubles down" not in article.text and "Council delays" not in article.text
    assert "ten years (since 2014), she told reporters" in article.text
    assert "extraction: 1 hover card(s) removed from the sentences" in article.notes
