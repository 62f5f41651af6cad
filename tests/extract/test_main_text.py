"""The fast path checked: navigation and fragments go to full mode; nothing found goes to
trafilatura's recall mode and baseline; short pages that say they are articles are briefs."""

from __future__ import annotations

import json

import pytest

from newsloom.config import Settings
from newsloom.errors import ExtractionError
from newsloom.extract import extract
from newsloom.extract import main_text as mt
from newsloom.extract.parse import parse_html

from ._pages import PARAS, raw_html

SITE_MENU = [
    "Subscribe", "My Times", "Sign In", "Today's Paper", "My Account", "Newsletters", "World",
    "U.S.", "Politics", "N.Y.", "Business", "Opinion", "Tech", "Science", "Health", "Sports",
    "Arts", "Books", "Style", "Food", "Travel", "Magazine", "Real Estate", "Video", "Podcasts",
]  # fmt: skip


def _menu_page(paras: list[str], head: str = "") -> str:
    """A page whose menu sits in a container named like an article body (fast mode takes it)."""
    menu = "".join(
        f"<p><a href='/section/{i}'>{label}</a></p>" for i, label in enumerate(SITE_MENU * 3)
    )
    body = "<br>".join(paras)
    return (
        f"<html><head><title>Tram vote</title>{head}</head><body>"
        f"<div class='article'>{menu}</div><div>{body}</div></body></html>"
    )


def test_signals_flag_navigation_in_several_languages() -> None:
    menu = "\n".join(SITE_MENU)
    sig = mt.signals(menu, set(SITE_MENU))
    assert sig.suspicious and sig.link_share == 1.0 and sig.site_lines >= 3
    for words in (
        ["Abonnieren", "Anmelden", "Mein Konto"],
        ["S'abonner", "Se connecter", "Mon compte"],
        ["Suscríbete", "Iniciar sesión", "Mi cuenta"],
        ["로그인", "회원가입", "구독"],
        ["登录", "注册", "订阅"],
        ["Войти", "Подписаться"],
    ):
        assert mt.signals("\n".join(words), None).site_lines == len(words), words
    article = "\n".join(PARAS * 3)
    sig = mt.signals(article, set(SITE_MENU))
    assert not sig.suspicious and sig.link_share == 0 and sig.site_lines == 0
    assert mt.signals("\n".join(PARAS), None).short  # 4 paragraphs: under 1,000 characters
    assert mt.effective_length("市议会") == 6  # ideographs count twice


def test_navigation_from_the_fast_path_falls_back_to_full_mode() -> None:
    html = _menu_page(PARAS * 2)
    fast = mt._run(parse_html(html), "https://x.example/a", fast=True)
    assert "Sign In" in fast and PARAS[0] not in fast  # the fast path alone returns the menu
    article = extract(raw_html(html))
    assert PARAS[0] in article.text and "Sign In" not in article.text
    assert any(n.startswith("extraction: full mode") for n in article.notes), article.notes


def _fake_runs(monkeypatch: pytest.MonkeyPatch, results: dict[str, str]) -> list[str]:
    calls: list[str] = []

    def run(tree: object, url: str, **options: object) -> str:
        mode = "recall" if options.get("favor_recall") else "fast" if options.get("fast") else "full"
        calls.append(mode)
        return results[mode]

    monkeypatch.setattr(mt, "_run", run)
    return calls


TREE = parse_html("<html><body><p>x</p></body></html>")
LONG = "\n".join(PARAS * 3)


def test_a_good_fast_result_is_kept_without_running_full_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_runs(monkeypatch, {"fast": LONG, "full": "", "recall": ""})
    got = mt.extract_main_text(TREE, "u")
    assert got is not None and (got.text, got.mode, got.notes, calls) == (LONG, "fast", [], ["fast"])


def test_a_fragment_is_replaced_by_full_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_runs(monkeypatch, {"fast": PARAS[0], "full": LONG, "recall": ""})
    got = mt.extract_main_text(TREE, "u")
    assert got is not None and got.mode == "full" and "only" in got.notes[0]


def test_full_mode_is_not_taken_when_it_is_the_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_runs(monkeypatch, {"fast": PARAS[0], "full": "\n".join(SITE_MENU * 4), "recall": ""})
    got = mt.extract_main_text(TREE, "u")
    assert got is not None and (got.text, got.mode) == (PARAS[0], "fast")


def test_nothing_found_tries_recall_then_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_runs(monkeypatch, {"fast": "", "full": "", "recall": LONG})
    got = mt.extract_main_text(TREE, "u")
    assert got is not None and got.mode == "recall" and calls == ["fast", "full", "recall"]
    _fake_runs(monkeypatch, {"fast": "", "full": "", "recall": ""})
    got = mt.extract_main_text(parse_html(f"<html><body><div>{LONG}</div></body></html>"), "u")
    assert got is not None and got.mode == "baseline" and PARAS[0] in got.text
    assert mt.extract_main_text(parse_html("<html><body><div></div></body></html>"), "u") is None


KO = [
    "서울시의회는 화요일 북부 지역으로 노면전차 노선을 확장하는 계획을 찬성 다수로 통과시켰다.",
    "지지자들은 새 노선이 붐비는 버스에 의존하는 수만 명 주민의 통근 시간을 절반으로 줄일 것이라고 말했다.",
    "반대하는 쪽은 사억 유로로 추산되는 비용 때문에 다른 공공 서비스가 줄어들 것이라고 주장했다.",
]


def test_a_page_with_its_text_only_in_json_ld_is_found() -> None:
    """A script-rendered Korean page: no text in the HTML body, the article in JSON-LD."""
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "노면전차",
          "articleBody": " ".join(KO)}  # fmt: skip
    html = (
        "<html><head><meta charset='utf-8'><title>노면전차</title><script type='application/ld+json'>"
        f"{json.dumps(ld, ensure_ascii=False)}</script></head><body><div id='app'></div></body></html>"
    )
    assert KO[0] in extract(raw_html(html)).text


BRIEF = (
    "BERLIN, March 3 (Reuters) - Germany's parliament on Tuesday approved a 5 billion euro aid "
    "package for the rail operator, the speaker said after the vote. More to follow."
)


@pytest.mark.parametrize(
    ("head", "wrap", "says"),
    [
        ("<meta property='og:type' content='article'>", "div", "og:type article"),
        (
            "<script type='application/ld+json'>{\"@type\": \"NewsArticle\"}</script>",
            "div",
            "JSON-LD NewsArticle",
        ),
        ("", "article", "<article> element"),
    ],
)
def test_a_short_page_that_says_it_is_an_article_is_a_brief(head: str, wrap: str, says: str) -> None:
    assert 150 < len(BRIEF) < 200
    html = (
        f"<html><head><title>Rail aid</title>{head}</head><body><nav><a href='/'>Home</a></nav>"
        f"<{wrap}><h1>Rail aid</h1><p>{BRIEF}</p></{wrap}></body></html>"
    )
    article = extract(raw_html(html))
    assert article.text == BRIEF
    assert article.notes[-1].startswith(f"brief: {len(BRIEF)} characters") and says in article.notes[-1]
    assert not any(n.startswith("page says") for n in article.notes)


def test_a_short_page_without_article_signals_is_still_refused() -> None:
    html = f"<html><head><title>Rail aid</title></head><body><div><p>{BRIEF}</p></div></body></html>"
    with pytest.raises(ExtractionError, match="minimum is 200"):
        extract(raw_html(html))
    assert extract(raw_html(html), Settings(min_text_chars=100)).text == BRIEF


def test_a_brief_still_needs_some_text() -> None:
    html = "<html><head><meta property='og:type' content='article'></head><body><p>Updated.</p></body></html>"
    with pytest.raises(ExtractionError, match="no article"):
        extract(raw_html(html))


def test_lines_that_are_whole_links_to_other_pages_are_dropped() -> None:
    teasers = [
        "Skyrim finally truly beaten as fanatical player does everything",
        "Hackers ofrecen descuento del 35% al Gobierno de Costa Rica",
    ]
    links = "".join(f"<p><a href='/story/{i}'>{t}</a></p>" for i, t in enumerate(teasers))
    inline = "<p>The mayor <a href='/mayor'>said in a statement</a> that work starts in spring.</p>"
    html = (
        "<html><head><title>Tram vote</title></head><body><article><h1>Tram vote</h1>"
        + "".join(f"<p>{p}</p>" for p in PARAS * 2)
        + inline
        + links
        + "</article></body></html>"
    )
    article = extract(raw_html(html))
    assert PARAS[0] in article.text and "said in a statement" in article.text  # inline link kept
    assert not any(t in article.text for t in teasers)
    # (trafilatura itself drops some link-only paragraphs; the rest go here)
    assert any(n.endswith("line(s) that are links to other pages") for n in article.notes)
    text, n = mt.drop_link_lines("Headline link\nshort link\n" + teasers[0], {teasers[0], "short link"})
    assert (text, n) == ("Headline link\nshort link", 1)  # under 6 words stays: labels handle those


def test_too_little_from_fast_and_full_tries_recall(monkeypatch: pytest.MonkeyPatch) -> None:
    caption = "Instagram: neue Videofunktion für Stories"
    _fake_runs(monkeypatch, {"fast": caption, "full": caption, "recall": LONG})
    got = mt.extract_main_text(TREE, "u", set())
    assert got is not None and got.mode == "recall" and got.text == LONG
    assert "found 41 characters" in got.notes[0]
    # recall mode's result is not taken when it is navigation
    _fake_runs(monkeypatch, {"fast": caption, "full": caption, "recall": "\n".join(SITE_MENU * 4)})
    got = mt.extract_main_text(TREE, "u", set())
    assert got is not None and got.text == caption
    # nor asked when fast and full found enough
    calls = _fake_runs(monkeypatch, {"fast": PARAS[0], "full": "\n".join(PARAS), "recall": LONG})
    got = mt.extract_main_text(TREE, "u", set())
    assert got is not None and got.mode == "full" and calls == ["fast", "full"]


def test_short_cjk_paragraphs_are_not_navigation() -> None:
    zh = [  # two-sentence paragraphs of 25-30 ideographs: short for Latin text, not for Chinese
        "市议会周二投票决定扩建北部有轨电车网络。支持者说新线路将使通勤时间减半。",
        "反对者认为四亿欧元的费用过高。工程预计明年春天开始。",
    ] * 12
    sig = mt.signals("\n".join(zh), None)
    assert not sig.nav and sig.mean_line >= mt.NAV_MEAN_LINE
    assert mt.signals("\n".join(["首页", "新闻", "体育", "财经"] * 10), None).nav


def test_a_short_paywall_or_menu_is_not_a_brief() -> None:
    for text in (
        "Subscribe\nSign In\nThis article is for subscribers only. Already a subscriber? Sign in to read on.",
        "Home\nWorld\nPolitics\nBusiness\nSports\nCulture\nOpinion\nVideo\nPodcasts\nWeather",
    ):
        body = "".join(f"<p>{line}</p>" for line in text.split("\n"))
        html = (
            "<html><head><meta property='og:type' content='article'><title>x</title></head>"
            f"<body><article>{body}</article></body></html>"
        )
        with pytest.raises(ExtractionError, match="minimum is 200"):
            extract(raw_html(html))


def test_a_brief_of_three_lines_of_dialogue_is_kept() -> None:
    lines = ["„Ich weiß, ich bin betrunken und sollte das nicht sagen…“", "– „Dann sag es nicht.“", "– „Ok.“"]
    body = "".join(f"<p>{line}</p>" for line in lines)
    html = f"<html><head><title>Gespräch</title></head><body><article>{body}</article></body></html>"
    article = extract(raw_html(html))
    assert article.text.split("\n\n") == lines and article.notes[-1].startswith("brief:")


def test_pages_served_from_loopback() -> None:
    """The menu page, the wire brief and the script-rendered Korean page, fetched over HTTP."""
    from localserver import LocalServer

    from newsloom.fetch.crawler import to_raw

    from .test_charsets import _fetch

    brief = (
        "<html><head><title>Rail aid</title><meta property='og:type' content='article'></head>"
        f"<body><div><p>{BRIEF}</p></div></body></html>"
    )
    ld = {"@type": "NewsArticle", "articleBody": " ".join(KO)}
    korean = (
        "<html><head><meta charset='euc-kr'><title>노면전차</title><script type='application/ld+json'>"
        f"{json.dumps(ld, ensure_ascii=False)}</script></head><body><div id='app'></div></body></html>"
    )
    with LocalServer() as server:
        menu = to_raw(_fetch(server, _menu_page(PARAS * 2).encode(), "text/html; charset=utf-8"))
        article = extract(menu)
        assert PARAS[0] in article.text and "Sign In" not in article.text
        article = extract(to_raw(_fetch(server, brief.encode(), "text/html")))
        assert article.text == BRIEF and article.notes[-1].startswith("brief: ")
        article = extract(to_raw(_fetch(server, korean.encode("euc-kr"), "text/html")))
        assert KO[0] in article.text


def test_short_lines_without_links_are_not_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    """A recipe's ingredient list or a spec table is short lines, but not links: not a menu.

    When the fast path returns only the intro, full mode's longer text with the list is taken.
    """
    ingredients = [
        "250 g Mehl", "1 Päckchen Trockenhefe", "150 ml lauwarmes Wasser", "2 EL Olivenöl",
        "1 TL Salz", "Rosmarin nach Belieben", "grobes Meersalz", "4 Kirschtomaten",
    ] * 3  # fmt: skip
    recipe = "\n".join([PARAS[0], *ingredients, PARAS[1]])
    sig = mt.signals(recipe, set(SITE_MENU))
    assert sig.mean_line < mt.NAV_MEAN_LINE and not sig.nav
    _fake_runs(monkeypatch, {"fast": PARAS[0], "full": recipe, "recall": recipe})
    got = mt.extract_main_text(TREE, "u", set(SITE_MENU))
    assert got is not None and got.mode == "full" and "1 TL Salz" in got.text
    # the same short lines as links of the page are a menu, and lose to the fast path's text
    menu = "\n".join(SITE_MENU * 2)
    _fake_runs(monkeypatch, {"fast": PARAS[0], "full": menu, "recall": menu})
    got = mt.extract_main_text(TREE, "u", set(SITE_MENU))
    assert got is not None and got.mode == "fast"


def _script_rendered_page(body_html: str, article_body: str) -> str:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "articleBody": article_body}
    return (
        "<html><head><title>Tram vote</title><script type='application/ld+json'>"
        f"{json.dumps(ld, ensure_ascii=False)}</script></head><body>{body_html}</body></html>"
    )


def test_a_caption_only_page_takes_its_json_ld_article_body() -> None:
    """Script-rendered pages: the HTML holds a photo caption or a teaser, JSON-LD holds the article.

    (Under 250 characters trafilatura's own baseline rescue may find it; this is the case above.)
    """
    caption = (
        "<article><h1>Tram vote</h1><p>The mayor speaks during a televised debate on the tram line "
        "in the city hall on Tuesday, a week before the council vote that will decide whether the "
        "northern districts get their line; supporters and opponents filled the public gallery.</p>"
        "<p>Photo: AP</p><div id='root'></div></article>"
    )
    article = extract(raw_html(_script_rendered_page(caption, "\n".join(PARAS * 2))))
    assert PARAS[0] in article.text and PARAS[3] in article.text
    assert any("JSON-LD article body" in n for n in article.notes), article.notes
    # in another script and language too (multilingual: nothing here reads words)
    zh = "市议会周二投票决定扩建北部有轨电车网络。支持者说新线路将使通勤时间减半。" * 4
    got = mt.extract_main_text(parse_html(_script_rendered_page(caption, zh)), "u", set())
    assert got is not None and got.mode == "structured" and got.text == zh


def test_a_full_html_article_is_not_replaced_by_json_ld() -> None:
    body = "<article>" + "".join(f"<p>{p}</p>" for p in PARAS * 3) + "</article>"
    got = mt.extract_main_text(parse_html(_script_rendered_page(body, "A teaser. " * 200)), "u", set())
    assert got is not None and got.mode == "fast" and PARAS[0] in got.text


PORTAL_LABELS = ["TAXES AND INSPECTION", "CONSUMER OFFICE", "URBAN PLANNING", "BUSINESS PERMITS",
                 "STREET FINDER", "OTHER SERVICES", "COUNCILS", "CONTACTS", "Categories", "Tags"]  # fmt: skip
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]  # fmt: skip


def test_a_portal_menu_of_unlinked_labels_does_not_outweigh_a_short_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """A city portal's fast-path result: its menu (links and site words under unlinked section
    labels) and an archive of months with their counts, a word or two a line. Full mode finds the
    short report. By characters that are not links the menu wins; by prose lines the report does."""
    menu = []
    for i in range(20):
        menu += [PORTAL_LABELS[i % 10], *SITE_MENU[i % 5 * 5: i % 5 * 5 + 4]]
    for i, month in enumerate(MONTHS * 2):
        menu += [month, f"({100 + 7 * i})"]
    fast, full = "\n".join(menu), "\n".join(PARAS[:2])
    anchors = set(SITE_MENU)
    fast_sig, full_sig = mt.signals(fast, anchors), mt.signals(full, anchors)
    assert fast_sig.nav and not full_sig.nav
    assert full_sig.content < 0.5 * fast_sig.content and full_sig.prose > fast_sig.prose == 0
    _fake_runs(monkeypatch, {"fast": fast, "full": full, "recall": ""})
    got = mt.extract_main_text(TREE, "u", anchors)
    assert got is not None and (got.text, got.mode) == (full, "full"), got
    # a fast-path result that is merely short (not navigation) is still compared by characters:
    # full mode with much less of them does not replace it
    _fake_runs(monkeypatch, {"fast": PARAS[0] + "\n" + "\n".join(MONTHS * 3), "full": PARAS[1][:60], "recall": ""})
    got = mt.extract_main_text(TREE, "u", anchors)
    assert got is not None and got.mode == "fast"


def test_a_real_portal_page_gives_its_report_not_its_menu() -> None:
    """The page of this class in AEB (a Brazilian city's news page): the fast path returns the
    portal's menu, 8,700 characters; the report is 670."""
    import gzip
    import json

    from ._pages import shared_dir

    aeb = shared_dir() / "corpora" / "aeb"
    page_id = "f6ac15a4d98511396da23e4428deb5605422b1c8bbc8284e771f6896bdccf57f"
    gold = json.loads((aeb / "ground-truth.json").read_text())[page_id]
    body = gzip.decompress((aeb / "html" / f"{page_id}.html.gz").read_bytes())
    article = extract(raw_html(body, url=gold["url"]))
    assert gold["articleBody"][:120] in article.text
    assert len(article.text) < 2 * len(gold["articleBody"]), article.text[:500]


def test_a_calendar_or_table_without_prose_is_checked_against_full_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """A holiday let's page: the fast path returns the availability calendars (thousands of
    characters, no line of prose); full mode finds the description and the prices."""
    weeks = ["| Su | Mo | Tu | We | Th | Fr | Sa |"] + [
        "| " + " | ".join(str(d) for d in range(w * 7 + 1, w * 7 + 8)) + " |" for w in range(4)
    ]
    calendar = "\n".join(line for m in MONTHS for line in [f"| {m} 2020 | | | | | | |", *weeks])
    sig = mt.signals(calendar, set())
    assert not sig.short and not sig.nav and sig.little_prose
    _fake_runs(monkeypatch, {"fast": calendar, "full": LONG + "\n" + calendar, "recall": ""})
    got = mt.extract_main_text(TREE, "u", set())
    assert got is not None and got.mode == "full" and "prose" in got.notes[0], got.notes
    # an article with a list of short lines has prose enough: the fast path's result is kept
    recipe = "\n".join([*PARAS * 2, *(["250 g Mehl", "1 TL Salz", "2 EL Olivenöl"] * 12)])
    sig = mt.signals(recipe, set())
    assert not sig.short and not sig.suspicious and sig.prose < 0.8 * sig.length
