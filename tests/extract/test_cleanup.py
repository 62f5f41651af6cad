"""Each cleanup rule, alone: it fires on its pattern and leaves real sentences alone."""

from __future__ import annotations

import re

import pytest

from newsloom.extract.cleanup import (
    CleanResult,
    boilerplate_reason,
    clean_text,
    credit_of,
    drop_repeats,
    drop_team_byline,
    move_captions,
    move_social_embeds,
    move_tweets,
    split_paragraphs,
)
from newsloom.models import Embed, Image

from ._pages import PARAS


def _apply(rule, paras: list[str], title: str | None = None) -> tuple[list[str], CleanResult]:
    res = CleanResult(text="", paragraphs=[], title=title)
    return rule(paras, res), res


# --- repeats --------------------------------------------------------------------------------


def test_block_repeated_three_times_keeps_first_copy() -> None:
    block = PARAS[1:4]
    paras = [
        PARAS[0],
        *block,
        *block,
        *block,
        "The end of the story is here, said the reporter today.",
    ]
    out, res = _apply(drop_repeats, paras)
    assert out == [PARAS[0], *block, paras[-1]]
    assert res.log == ["repeats: dropped 2 repeated block(s) of paragraphs"]


def test_line_printed_twice_in_a_row_is_kept_once() -> None:
    out, res = _apply(drop_repeats, [PARAS[0], "Short line", "Short line", PARAS[1]])
    assert out == [PARAS[0], "Short line", PARAS[1]]
    assert res.log


def test_short_lines_repeated_on_purpose_survive() -> None:
    # A meal plan / interview repeats short lines and single questions with different answers.
    paras = []
    for day in ("Monday", "Tuesday", "Wednesday"):
        paras += [
            "Pre-workout meal",
            "Eat 60-90 minutes before your workout",
            f"{day}: eggs and toast",
        ]
    q = "What inspired you to start cooking, and which dishes do you like to make for your family?"
    paras += [q, "My grandmother did.", q, "My father taught me everything."]
    out, res = _apply(drop_repeats, paras)
    assert out == paras and not res.log


def test_single_pull_quote_repeated_far_apart_survives() -> None:
    paras = [PARAS[0], PARAS[1], PARAS[2], PARAS[3], PARAS[1]]
    out, _ = _apply(drop_repeats, paras)
    assert out == paras


# --- boilerplate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Read more",
        "READ MORE:",
        "Read more Crying Russian prisoners say 'liars' Putin is having the army throw in mass graves",
        "Read more: Why the tram project matters",
        "Related Articles",
        "Back to top button",
        "Share this",
        "Share this article",
        "Follow us on Twitter",
        "Sign up for our newsletter to get the best stories in your inbox",
        (
            "There's plenty more where that came from. Sign up for The Water Coolest today to get the "
            "free daily newsletter delivered to your inbox daily."
        ),
        "We use cookies to improve your experience. By continuing you accept all cookies.",
        "Leer más",
        "Noticias relacionadas",
        "Síguenos en Twitter",
        "Leia também",
        "Compartilhe",
        "Assine nossa newsletter e receba as notícias",
        "Lire aussi",
        "À lire aussi : Le tramway arrive",
        "Suivez-nous sur Facebook",
        "Lesen Sie auch",
        "Mehr zum Thema",
        "Wir verwenden Cookies, um Ihnen das beste Erlebnis zu bieten.",
        "Leggi anche",
        "Seguici su Instagram",
        "Читайте также",
        "Thanks for signing up!",
        "More:",
        "Don't miss",
        "SEE MORE: Hong Kong protests: 800 students under siege in university",
        "Click here to subscribe to The Paradigm Newsletter",
        # an advertisement written with Cyrillic look-alike letters inside Latin words
        "Аdvеrtіѕе wіth thе most visited news site ~ Wе оffеr fullу сuѕtоmіzаblе dіgіtаl расkаgеѕ.",
        "Поделиться",
        (
            "Fry is an automatic aggregator of the all world’s media. In each content, the hyperlink to the "
            "primary source is specified. All trademarks belong to their rightful owners, all materials to "
            "their authors. The content will be deleted within 24 hours."
        ),
        (
            "Fry является автоматическим агрегатором мировых СМИ. Все товарные знаки принадлежат их "
            "владельцам, все материалы их авторам."
        ),
    ],
)
def test_boilerplate_lines_are_dropped(line: str) -> None:
    res = clean_text("\n".join([PARAS[0], line, PARAS[1]]))
    assert res.paragraphs == [PARAS[0], PARAS[1]], line
    assert res.log and res.log[0].startswith("boilerplate:")


@pytest.mark.parametrize(
    "line",
    [
        "Read more about the plan in the council's 200-page report, which was published on Monday.",
        "Readers can share their views at a public meeting next week, the council said.",
        "The company will follow us to court if we publish the documents, the editor said.",
        "Google News is an automatic aggregator of headlines, and publishers have long criticised it.",
        "The regulator said cookie banners must offer a reject button as visibly as an accept one.",
        "More than 200 people attended the meeting.",
        "Related companies were also fined, the court said.",
        "She said she would subscribe to a newspaper again if it covered her district properly.",
        "Residents who sign up for the council's newsletter will hear about the tram works first, she said.",
        "Акции IT-компании выросли после презентации, сообщил PR-отдел в Twitter-аккаунте и iPhone-блоге.",
        "Click here to get more information or download this game.",
        "See more of the city's parks on the council's website, the mayor told residents.",
    ],
)
def test_real_sentences_with_boilerplate_words_survive(line: str) -> None:
    assert boilerplate_reason(line) is None
    assert line in clean_text("\n".join([PARAS[0], line])).paragraphs


def test_team_byline_only_at_the_end() -> None:
    out, res = _apply(drop_team_byline, [PARAS[0], "Fry Electronics Team"])
    assert out == [PARAS[0]] and res.log
    out, _ = _apply(drop_team_byline, ["Fry Electronics Team", PARAS[0]])
    assert out == ["Fry Electronics Team", PARAS[0]]
    out, _ = _apply(drop_team_byline, [PARAS[0], "Equipe InfoMoney"])
    assert out == [PARAS[0]]
    out, _ = _apply(drop_team_byline, [PARAS[0], "The team won the final on penalties."])
    assert len(out) == 2


def test_headline_repeated_as_first_paragraph_is_dropped() -> None:
    res = clean_text("Tram vote\n" + PARAS[0], title="Tram vote | City News")
    assert res.paragraphs == [PARAS[0]] and res.log[0].startswith("title:")


# --- captions and credits -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "credit"),
    [
        ("AFP via Getty Images)", "AFP via Getty Images"),
        ("Polaris / eyevine)", "Polaris / eyevine"),
        ("NurPhoto / PA images)", "NurPhoto / PA images"),
        ("Photo: Reuters", "Reuters"),
        ("(Foto: dpa)", "dpa"),
        ("Getty Images", "Getty Images"),
        ("© Reuters", "© Reuters"),
    ],
)
def test_credit_fragments(line: str, credit: str) -> None:
    assert credit_of(line) == credit
    out, res = _apply(move_captions, [PARAS[0], line, PARAS[1]])
    assert out == [PARAS[0], PARAS[1]]
    assert res.images == [Image(credit=credit)]  # the paragraph before is a sentence, not a caption


@pytest.mark.parametrize(
    "line",
    [
        "6) Ghostbusters Collection 1-2 (Steelbook) (2 Blu-Ray)",
        "Copyright 2019 Hawaii News Now. All rights reserved.",
        "(Reporting by Will Dunham; Editing by Tom Brown)",
    ],
)
def test_not_credit_fragments(line: str) -> None:
    assert credit_of(line) is None


def test_short_caption_before_credit_becomes_image_caption() -> None:
    paras = [
        PARAS[0],
        "They appeared at an Interfax press conference",
        "Polaris / eyevine)",
        PARAS[1],
    ]
    out, res = _apply(move_captions, paras)
    assert out == [PARAS[0], PARAS[1]]
    assert res.images == [
        Image(caption="They appeared at an Interfax press conference", credit="Polaris / eyevine")
    ]


def test_caption_printed_twice_before_credit() -> None:
    paras = [
        PARAS[0],
        "Police detain a man in Moscow",
        "Police detain a man in Moscow",
        "AFP via Getty Images)",
    ]
    out, res = _apply(move_captions, paras)
    assert out == [PARAS[0]]
    assert res.images == [
        Image(caption="Police detain a man in Moscow", credit="AFP via Getty Images")
    ]


def test_wire_signoff_before_credit_is_not_a_caption() -> None:
    signoff = "(Reporting by Will Dunham; Editing by Tom Brown)"
    out, res = _apply(move_captions, [PARAS[0], signoff, "© Reuters"])
    assert out == [PARAS[0], signoff]
    assert res.images == [Image(credit="© Reuters")]


def test_caption_with_inline_credit() -> None:
    out, res = _apply(move_captions, [PARAS[0], "Olaf Scholz am Montag in Berlin (Foto: dpa)"])
    assert out == [PARAS[0]]
    assert res.images == [Image(caption="Olaf Scholz am Montag in Berlin", credit="dpa")]


def test_duplicated_short_caption_line_becomes_image() -> None:
    paras = [
        PARAS[0],
        "Russian soldiers criticize the invasion",
        "Russian soldiers criticize the invasion",
        PARAS[1],
    ]
    out, res = _apply(move_captions, paras)
    assert out == [PARAS[0], PARAS[1]]
    assert res.images == [Image(caption="Russian soldiers criticize the invasion")]


# --- embeds ---------------------------------------------------------------------------------


def test_tweet_with_attribution_line() -> None:
    paras = [
        PARAS[0],
        "Footage shows a prisoner https://t.co/pdD951QUnz pic.twitter.com/FFKwFN9g1C",
        "— Daily Mail Online (@MailOnline) March 2, 2022",
        PARAS[1],
    ]
    out, res = _apply(move_tweets, paras)
    assert out == [PARAS[0], PARAS[1]]
    assert res.embeds == [
        Embed(
            kind="tweet",
            text="Footage shows a prisoner",
            author="Daily Mail Online",
            handle="MailOnline",
            date="March 2, 2022",
            links=["https://t.co/pdD951QUnz", "pic.twitter.com/FFKwFN9g1C"],
        )
    ]


def test_tweet_on_one_line_and_status_url() -> None:
    line = "Big news today https://twitter.com/jane/status/123456 — Jane Doe (@jane) 2 de março de 2022"
    out, res = _apply(move_tweets, [PARAS[0], line])
    assert out == [PARAS[0]]
    (e,) = res.embeds
    assert (e.author, e.handle, e.date, e.url) == (
        "Jane Doe",
        "jane",
        "2 de março de 2022",
        "https://twitter.com/jane/status/123456",
    )


def test_tweet_without_attribution_ends_with_media_link() -> None:
    out, res = _apply(move_tweets, [PARAS[0], "Putin is to blame. pic.twitter.com/W3Fwcc6Mk5"])
    assert out == [PARAS[0]] and res.embeds[0].text == "Putin is to blame."


def test_attribution_does_not_swallow_a_long_real_paragraph() -> None:
    long_para = " ".join(PARAS)  # > 280 characters, no links: not tweet text
    out, res = _apply(move_tweets, [long_para, "— Jane Doe (@jane) March 2, 2022"])
    assert out == [long_para] and res.embeds[0].text is None


def test_instagram_youtube_facebook_remnants() -> None:
    paras = [
        PARAS[0],
        "View this post on Instagram",
        "A post shared by Jane Doe (@janedoe) on Mar 2, 2022 at 3:04pm PST",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "Posted by City News on Wednesday, March 2, 2022",
        PARAS[1],
    ]
    out, res = _apply(move_social_embeds, paras)
    assert out == [PARAS[0], PARAS[1]]
    kinds = [e.kind for e in res.embeds]
    assert kinds == ["instagram", "youtube", "facebook"]
    assert res.embeds[0].handle == "janedoe"
    assert res.embeds[1].url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert res.embeds[2].author == "City News"


def test_clean_text_on_clean_input_changes_nothing() -> None:
    res = clean_text("\n".join(PARAS))
    assert res.paragraphs == PARAS and res.log == [] and res.text == "\n\n".join(PARAS)


def test_cleanup_keeps_real_prose_of_aeb_gold_bodies() -> None:
    """Gold article bodies are clean text: cleanup may only move embeds/credits or drop labels."""
    import json

    from ._pages import shared_dir

    gold = json.loads((shared_dir() / "corpora" / "aeb" / "ground-truth.json").read_text())
    for page_id, item in gold.items():
        res = clean_text(item["articleBody"])
        kept = set(res.paragraphs)
        moved = " ".join(
            [e.text or "" for e in res.embeds] + [f"{i.caption} {i.credit}" for i in res.images]
        )
        for p in split_paragraphs(item["articleBody"]):
            if p not in kept and "(@" not in p:
                text = re.sub(r"\s*(?:https?://t\.co/|pic\.twitter\.com/)\S+", "", p)
                assert len(text) <= 20 or text[:40] in moved, f"{page_id}: lost {p!r}"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Lea: Consejo Permanente de la OEA aborda este miércoles la confiscación", "related link"),
        ("Lea más: El Gobierno propone legalizar la venta de cannabis", "read-more link"),
        ("MIRA: Madre se acerca a conocer los motivos de la captura", "related link"),
        ("VEA TAMBIÉN: Estrella de la educación no brilla para estudiantes", "read-more link"),
        ("LE PUEDE INTERESAR: La ficha del expresidente en Nueva York", "read-more link"),
        ("Lesen Sie hier: Spielabbruch in der Kreisliga", "read-more link"),
        ("Auch lesen: Diese drei Sternzeichen verschenken ihr Herz", "read-more link"),
        ("Czytaj też: Rząd przyjął projekt ustawy o transporcie", "read-more link"),
        ("Lees ook: Kabinet wil extra geld voor de tram", "read-more link"),
        ("Schon gelesen?", "navigation/share label"),
        ("Das Thema könnte dich auch interessieren:", "navigation/share label"),
        ("| Weitere Artikel zum Thema |", "navigation/share label"),
        ("PC Gamer Newsletter", "navigation/share label"),
        ("Zum Newsletter anmelden", "navigation/share label"),
        ("23.10.2018", "dateline"),
        ("Aktualisiert am 17.01.2021.", "dateline"),
        ("24. März 2004, 19:49", "dateline"),
        ("January 13, 2020 at 08:45 AM", "dateline"),
        ("4 de febrero de 2022", "dateline"),
        ("Publié le 13 janvier 2020 à 14h30", "dateline"),
    ],
)
def test_more_boilerplate_in_more_languages(line: str, reason: str) -> None:
    assert boilerplate_reason(line) == reason


@pytest.mark.parametrize(
    "line",
    [
        "Mira cómo el consejo votó la ley el martes por la noche.",
        "The vote is on 12 March 2024.",
        "3.50",  # a price or a score, not a time
        "Lea la carta completa que el alcalde envió al consejo.",
        "© 2019 Associated Press. All Rights Reserved.",  # AEB's gold keeps wire copyright lines
    ],
)
def test_sentences_like_the_new_boilerplate_survive(line: str) -> None:
    assert boilerplate_reason(line) is None


@pytest.mark.parametrize(
    ("line", "credit"),
    [
        ("Crédits photos : Bestimage", "Bestimage"),
        ("Beitragsbild: Titelseite der Zeitung vom 2.4.2019", "Titelseite der Zeitung vom 2.4.2019"),
        ("Image illustrative : Lego Minifigures by Ninja Brick", "Lego Minifigures by Ninja Brick"),
        ("Bildquelle: pixabay", "pixabay"),
        ("Photo credit: John Smith", "John Smith"),
    ],
)
def test_credit_labels_in_more_languages(line: str, credit: str) -> None:
    assert credit_of(line) == credit
    res = clean_text("\n".join([*PARAS, line]))
    assert res.paragraphs == PARAS and any(i.credit == credit for i in res.images)


@pytest.mark.parametrize(
    "line",
    [
        "Subscribe now to our e-edition for the full story.",
        "Sign up to get the best content of the week, and great deals, as picked by the editors.",
        "Get The Daily Courier's morning edition by email and never miss our top stories",
        "HAZTE MIEMBRO Y DISFRUTA DE BENEFICIOS EXCLUSIVOS",
        "Jetzt abonnieren und alle Artikel lesen",
        "Abonnez-vous pour lire la suite",
    ],
)
def test_sign_up_prompts_are_dropped(line: str) -> None:
    assert boilerplate_reason(line) == "sign-up prompt"


@pytest.mark.parametrize(
    "line",
    [
        "Subscribers said the service had been slow for weeks.",
        "Sign up for the vaccine at your local pharmacy, the ministry said.",
        "Registered voters must bring an identity card.",
    ],
)
def test_sentences_about_subscribing_survive(line: str) -> None:
    assert boilerplate_reason(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "For the latest stories and breaking news updates download the Daily Star apps for iOS and Android.",
        "¿Ya sabías que tenemos canal de Telegram? Únete desde tu celular en este enlace.",
        "¡Mira lo que tiene nuestro canal de YouTube!",
        "Laden Sie jetzt unsere App für iOS und Android herunter.",
        "Rejoignez notre chaîne WhatsApp pour recevoir l'essentiel de l'actualité.",
        "Подпишитесь на наш канал в Telegram.",
    ],
)
def test_the_outlets_own_app_or_channel_promo_is_dropped(line: str) -> None:
    """A platform named with an invitation that opens a sentence, or with "our app/channel"
    (trafilatura-eval's gold lists such lines as boilerplate)."""
    assert boilerplate_reason(line) == "app or channel promo"


@pytest.mark.parametrize(
    "line",
    [
        "Users can download the app for iOS and Android from Monday.",
        "The ministry said the Telegram channel had 2 million subscribers before it was blocked.",
        "Telegram founder Pavel Durov was detained in France on Saturday.",
        "Get ready for iOS 18: the update reaches phones on Monday.",
        "Watch out for fake WhatsApp messages, police warn.",
        "Follow NBC Latino on Facebook, Twitter and Instagram.",  # the AEB gold keeps it as text
        "Our correspondent watched the video that circulated on YouTube on Monday.",
        "The company said it would join the lawsuit against Google Play over fees.",
    ],
)
def test_reports_about_apps_and_platforms_survive(line: str) -> None:
    assert boilerplate_reason(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "This post contains references to products from one or more of our advertisers.",
        "We recommend the best products through an independent review process, and advertisers do not influence our picks.",
        "We may earn a commission when you buy through links on our site.",
        "*Werbung. Dieser Beitrag enthält Werbung für eine Modemarke.",
        "Este artículo contiene enlaces de afiliados.",
        "Cet article contient des liens affiliés.",
    ],
)
def test_advertising_disclosures_are_dropped(line: str) -> None:
    """Said of the page itself or by the site in the first person."""
    assert boilerplate_reason(line) == "advertising disclosure"


@pytest.mark.parametrize(
    "line",
    [
        "Amazon cut its affiliate commission rates for several categories on Tuesday.",
        "The article contains references to documents the court sealed in 2019.",
        "We earn a living from farming, she said.",
        "Werbung für Zigaretten wird ab 2026 verboten.",
    ],
)
def test_reports_about_advertising_survive(line: str) -> None:
    assert boilerplate_reason(line) is None
