from __future__ import annotations

import json
import threading

import pytest

from newsloom.analyse import language
from newsloom.analyse.language import (
    LanguageResult,
    detect,
    detect_article,
    detect_paragraphs,
    split_paragraphs,
)

EN = (
    "The government announced on Tuesday that it would raise taxes on fuel next year, "
    "a move that opposition leaders said would hurt families in rural areas."
)
IT = (
    "Il governo ha annunciato martedì che il prossimo anno aumenterà le tasse sul carburante, "
    "una decisione che secondo l'opposizione danneggerà le famiglie delle zone rurali."
)
DE = (
    "Die Regierung kündigte am Dienstag an, im nächsten Jahr die Steuern auf Kraftstoff zu "
    "erhöhen; die Opposition sagt, das schade Familien auf dem Land."
)
ZH = "政府周二宣布，明年将提高燃油税，反对派领导人表示，这一举措将伤害农村地区的家庭。"
JA = "政府は火曜日、来年燃料税を引き上げると発表した。野党は地方の家庭に打撃を与えると批判した。"


@pytest.mark.parametrize(
    ("text", "code"), [(EN, "en"), (IT, "it"), (DE, "de"), (ZH, "zh"), (JA, "ja")]
)
def test_detect_languages(text: str, code: str) -> None:
    lang, conf = detect(text)
    assert lang == code
    assert 0.9 <= conf <= 1.0


@pytest.mark.parametrize("text", ["", "   ", "12:45 — 3/4 !!!", "ok", "€ 100", "\n\n\n"])
def test_no_letters_or_too_short_abstains(text: str) -> None:
    assert detect(text) == (None, 0.0)


@pytest.mark.parametrize("text", ["Read more", "Hello", "pic.twitter.com/abc", "Reuters"])
def test_junk_is_not_a_wild_guess(text: str) -> None:
    assert detect(text) == (None, 0.0)


def test_varieties_fold_into_macrolanguage() -> None:
    # short Chinese text splits mass between zh, wuu and yue; folded, it is confidently zh
    lang, conf = detect("北京时间昨日")
    assert lang == "zh"
    assert conf > 0.9


def test_hint_breaks_near_tie_only() -> None:
    text = "Zdravo, kako si danas?"  # hr / sr / bs are near-tied
    assert detect(text)[0] == "hr"
    assert detect(text, hint="bs")[0] == "bs"
    assert detect(text, hint="sr")[0] == "sr"
    # a hint never overrides a clear answer
    assert detect(EN, hint="pt")[0] == "en"
    assert detect(IT, hint="es")[0] == "it"


def test_hint_is_case_insensitive() -> None:
    assert detect("Jeg har det godt i dag", hint="NO")[0] == "no"


def test_detect_paragraphs_one_code_per_paragraph() -> None:
    text = f"{EN}\n\n{IT}\n\nPhoto: AFP\n\n{EN}"
    assert detect_paragraphs(text) == ["en", "it", "en", "en"]
    assert len(detect_paragraphs(text)) == len(split_paragraphs(text))


def test_short_paragraph_inherits_article_language() -> None:
    # confidently Italian on its own, but under 40 characters: it takes the article language
    short = "Il governo ha detto di no."
    assert detect(short)[0] == "it"
    text = f"{EN}\n\n{short}\n\n{EN}"
    assert detect_paragraphs(text) == ["en", "en", "en"]


def test_short_cjk_paragraph_is_long_enough() -> None:
    # 20 ideographs carry as much evidence as a Latin sentence: not treated as "short"
    text = "\n\n".join([EN, EN, ZH[:20]])
    assert detect_paragraphs(text)[-1] == "zh"


def test_detect_paragraphs_empty() -> None:
    assert detect_paragraphs("") == []


def test_detect_article_mixed() -> None:
    res = detect_article("Fuel taxes to rise", f"{EN}\n\n{EN}\n\n{IT}\n\n{EN}")
    assert isinstance(res, LanguageResult)
    assert res.lang == "en"
    assert res.paragraph_langs == ["en", "en", "it", "en"]
    assert res.mixed is True


def test_detect_article_not_mixed_with_short_foreign_bits() -> None:
    res = detect_article("Fuel taxes", f"{EN}\n\nIl governo ha detto di no.\n\n{EN}\n\n{EN}")
    assert res.mixed is False
    assert res.lang == "en"
    assert res.confidence > 0.9


def test_detect_article_title_only() -> None:
    res = detect_article("Il governo aumenterà le tasse sul carburante l'anno prossimo", "")
    assert res.lang == "it"
    assert res.paragraph_langs == []


def test_detect_article_nothing() -> None:
    res = detect_article(None, "")
    assert res == LanguageResult(None, 0.0, [], False)


def test_detect_article_hint() -> None:
    res = detect_article(None, "Jeg har det godt i dag", hint="no")
    assert res.lang == "no"


def test_threads_share_one_model() -> None:
    language._identifier = None  # force a concurrent first load
    results: list[tuple[str | None, float]] = []

    def work() -> None:
        results.append(detect(DE))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r[0] for r in results] == ["de"] * 6
    assert language._identifier is not None


def test_accuracy_on_wikinews(shared_dir) -> None:  # type: ignore[no-untyped-def]
    path = shared_dir / "corpora" / "wikinews-meantime" / "docs.jsonl"
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    docs = docs[::8]  # 60 articles in 4 languages keep the test fast
    hits = sum(detect_article(d["title"], d["text"]).lang == d["lang"] for d in docs)
    assert hits / len(docs) >= 0.98


def test_one_foreign_paragraph_in_a_long_article_is_mixed() -> None:
    res = detect_article(None, "\n\n".join([EN] * 12 + [IT]))
    assert res.lang == "en" and res.paragraph_langs[-1] == "it" and res.mixed is True


def test_seed_pages(shared_dir) -> None:  # type: ignore[no-untyped-def]
    seeds = shared_dir / "seeds"
    en = detect_article(None, (seeds / "000_24b84148c221d217.txt").read_text(encoding="utf-8"))
    pt = detect_article(None, (seeds / "004_792b41666da6705b.txt").read_text(encoding="utf-8"))
    assert (en.lang, pt.lang) == ("en", "pt")
    assert en.confidence > 0.9 and pt.confidence > 0.9
