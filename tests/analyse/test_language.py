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


# --- the batched path of detect_article against one-text-at-a-time py3langid ---------------

MIXED_PARAGRAPHS = [EN, "", "Photo: AFP", IT, ZH, "Il governo ha detto di no.", DE, JA[:20], EN]


def _folded(scores: list[float]) -> dict[str, float]:
    ident = language._get_identifier()
    probs: dict[str, float] = {}
    seen: set[str] = set()
    for label, p in zip(ident.nb_classes, scores):
        if label not in seen:  # the first column of an aliased label holds the merged score
            seen.add(label)
            code = language._FOLD.get(label, label)
            probs[code] = probs.get(code, 0.0) + p
    return probs


def test_batched_scores_match_single_text_scores() -> None:
    import math
    from collections import Counter

    import numpy as np
    from py3langid.langid import visit_counts

    ident = language._get_identifier()
    model = language._model()
    parts = ["Fuel taxes to rise", *MIXED_PARAGRAPHS]
    scored = [i for i, p in enumerate(parts) if i and not language._is_short(p)]
    whole, rows = language._code_probabilities(model, parts, scored)
    assert rows.shape == (len(scored), len(model.codes))
    for k, i in enumerate(scored):  # each paragraph as py3langid scores it alone
        expected = _folded(ident._decide(parts[i]).tolist())
        got = dict(zip(model.codes, rows[k].tolist()))
        assert got == pytest.approx(expected, abs=1e-5)
    # the article: the parts' counts summed, as if walked one after the other
    total: Counter[int] = Counter()
    nbytes = 0
    for part in parts:
        encoded = ident._encode(part)
        total += visit_counts(ident.tk_nextmove, ident._rowbase, ident.tk_output, encoded) or Counter()
        nbytes += len(encoded)
    scores = ident._sparse_score(total, ident.nb_ptc) * (1.0 / math.sqrt(nbytes))
    scores = np.exp(scores - scores.max())
    scores /= scores.sum()
    for i, j in ident._alias_pairs:
        scores[i] += scores[j]
        scores[j] = 0.0
    assert dict(zip(model.codes, whole.tolist())) == pytest.approx(_folded(scores.tolist()), abs=1e-5)


def test_batched_paragraph_langs_match_per_paragraph_detection() -> None:
    text = "\n\n".join(MIXED_PARAGRAPHS)
    res = detect_article(None, text)
    # the unbatched path: every paragraph short-checked and detected on its own
    langs, mixed = language._paragraph_langs(split_paragraphs(text), res.lang)
    assert res.paragraph_langs == langs == ["en", "en", "en", "it", "zh", "en", "de", "ja", "en"]
    assert res.mixed is mixed is True
    assert res.lang == detect(text)[0]  # confidences differ: no n-grams across paragraphs


def test_featureless_paragraphs_score_uniform() -> None:
    model = language._model()
    whole, rows = language._code_probabilities(model, ["", "12 34", EN], [0, 1])
    assert np_allclose(rows.sum(axis=1), 1.0)
    assert rows[0].tolist() == rows[1].tolist()  # nothing to go on: the same flat guess
    assert max(rows[0].tolist()) < language.MIN_CONFIDENCE
    assert model.codes[int(whole.argmax())] == "en"


def np_allclose(a, b) -> bool:  # type: ignore[no-untyped-def]
    import numpy as np

    return bool(np.allclose(a, b, atol=1e-5))


@pytest.mark.parametrize(
    "text",
    ["", "a" * 13, "中" * 13, "中" * 14, "ab " * 13 + "a", "ab " * 13 + "ab", "1" * 200 + "a" * 39,
     "1" * 200 + "a" * 40, ZH[:13], ZH[:14], "Photo: AFP / Reuters / Getty Images, 2024", EN, JA[:20]],
)
def test_is_short_shortcuts_agree_with_exact_count(text: str) -> None:
    exact = not language._has_letters(text, language.MIN_PARAGRAPH_CHARS, wide_weight=3)
    assert language._is_short(text) is exact


def test_fast_float16_widening_is_exact() -> None:
    import numpy as np

    model = language._model()
    assert model.table_bits is not None  # the bundled model takes the fast path
    table = language._get_identifier().nb_ptc
    features = np.random.default_rng(0).choice(len(table), 2000, replace=False)
    assert np.array_equal(language._table_rows(model, features), table[features].astype(np.float32))
