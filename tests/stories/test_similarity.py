"""story_similarity ordering, the date penalty, and the SemEval-layout benchmark."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from newsloom.analyse.features import Signals
from newsloom.bench.similarity import (
    format_table,
    read_pairs,
    roc_auc,
    run,
    split_title,
)
from newsloom.errors import BenchError
from newsloom.bench.similarity_model import (
    ArticleRepr,
    build_repr,
    build_reprs,
    centre_e5,
    date_penalty,
    document_text,
    entity_keys,
    similarity_features,
    story_similarity,
)

QUAKE_EN = (
    "Magnitude 7.1 earthquake hits southern Mexico",
    ("A magnitude 7.1 earthquake struck the state of Oaxaca in southern Mexico on Tuesday, killing at "
    "least 20 people and damaging hundreds of buildings, President Andrés Manuel López Obrador said."),
    "en",
)
QUAKE_ES = (
    "Sismo de magnitud 7,1 sacude el sur de México",
    ("Un sismo de magnitud 7,1 sacudió el estado de Oaxaca, en el sur de México, el martes; murieron al "
    "menos 20 personas y cientos de edificios resultaron dañados, dijo el presidente Andrés Manuel López Obrador."),
    "es",
)
QUAKE_OTHER = (
    "Earthquake shakes Japan's northeast coast",
    ("A strong earthquake of magnitude 6.2 shook Fukushima prefecture in Japan on Saturday; no tsunami "
    "warning was issued and no deaths were reported."),
    "en",
)
BANK = (
    "Central bank raises rates to fight inflation",
    ("The European Central Bank raised its key interest rate by half a percentage point on Thursday, "
    "saying inflation in the euro area remained far too high."),
    "en",
)
QUAKE_SV = (
    "Jordskalv av magnitud 7,1 skakar södra Mexiko",
    ("Ett jordskalv med magnituden 7,1 skakade delstaten Oaxaca i södra Mexiko på tisdagen; minst 20 "
    "personer dog och hundratals byggnader skadades, sade president Andrés Manuel López Obrador."),
    "sv",
)


@pytest.fixture(scope="module")
def reprs() -> list[ArticleRepr]:
    return build_reprs([(t, x, lang, None) for t, x, lang in (QUAKE_EN, QUAKE_ES, QUAKE_OTHER, BANK, QUAKE_SV)])


def test_scores_in_unit_interval_and_symmetric(reprs: list[ArticleRepr]) -> None:
    for a in reprs:
        for b in reprs:
            s = story_similarity(a, b)
            assert 0.0 <= s <= 1.0
            assert s == pytest.approx(story_similarity(b, a), abs=1e-6)


def test_ordering_same_story_over_same_topic_over_unrelated(reprs: list[ArticleRepr]) -> None:
    en, es, other_quake, bank, _ = reprs
    same = story_similarity(en, es)
    same_topic = story_similarity(en, other_quake)
    unrelated = story_similarity(en, bank)
    assert same > same_topic > unrelated
    assert same >= 0.5 and unrelated < 0.3


def test_uncovered_language_compared_through_shared_title_space(reprs: list[ArticleRepr]) -> None:
    en, es, _, bank, sv = reprs
    assert "use-m3" not in sv.vectors and "e5-small" in sv.vectors
    assert story_similarity(sv, es) > story_similarity(sv, bank) + 0.2
    feats = similarity_features(sv, en)
    assert {k for k in feats if k.startswith("cos:")} == {"cos:e5-small:title"}


def test_no_shared_space_scores_zero() -> None:
    a = ArticleRepr(vectors={"use-m3": np.ones(512, np.float32) / np.sqrt(512)})
    b = ArticleRepr(vectors={"e5-small": np.ones(384, np.float32) / np.sqrt(384)})
    assert story_similarity(a, b) == 0.0


def _unit(i: int, dim: int = 512) -> np.ndarray:
    return np.eye(dim, dtype=np.float32)[i]


def test_shared_people_raise_and_shared_organisations_lower_the_score() -> None:
    # Fixed cosines (0 for the lead, 1 for the title), so only the entity overlaps move the score.
    va = {"use-m3": _unit(0), "use-m3:title": _unit(2)}
    vb = {"use-m3": _unit(1), "use-m3:title": _unit(2)}
    plain = story_similarity(ArticleRepr(vectors=va), ArticleRepr(vectors=vb))
    people = {"PER": frozenset({"putin", "merkel"})}
    with_people = story_similarity(ArticleRepr(vectors=va, entities=people), ArticleRepr(vectors=vb, entities=people))
    orgs = {"ORG": frozenset({"twitter"})}
    with_orgs = story_similarity(ArticleRepr(vectors=va, entities=orgs), ArticleRepr(vectors=vb, entities=orgs))
    assert with_people > plain + 0.05
    assert with_orgs < plain
    feats = similarity_features(ArticleRepr(vectors=va, entities=people), ArticleRepr(vectors=vb, entities=people))
    assert feats["entities:PER"] == pytest.approx(2 / 3) and feats["entities:ORG"] == 0.0


def test_names_raise_the_e5_only_score() -> None:
    # The e5-only models (languages USE-m3 lacks) still read capitalised names.
    a = ArticleRepr(vectors={"e5-small:title": _unit(0, 384)}, signals=Signals(names=frozenset({"putin", "merkel"})))
    b = ArticleRepr(vectors={"e5-small:title": _unit(0, 384)}, signals=Signals(names=frozenset({"putin", "merkel"})))
    bare = ArticleRepr(vectors={"e5-small:title": _unit(0, 384)})
    assert story_similarity(a, b) > story_similarity(bare, bare)


def test_entity_keys_match_across_languages() -> None:
    en = entity_keys("Putin meets Merkel in Berlin", "Russian President Vladimir Putin met Chancellor "
                     "Angela Merkel on Friday, the Kremlin said.", "en")
    ru = entity_keys("Путин встретился с Меркель", "Президент России Владимир Путин встретился с "
                     "канцлером Ангелой Меркель в пятницу.", "ru")
    assert "putin" in en["PER"] and "putin" in ru["PER"]
    assert set(en) == set(ru) == {"PER", "ORG"}
    assert entity_keys(None, None) == {"PER": frozenset(), "ORG": frozenset()}


def test_document_text_repeats_the_title() -> None:
    assert document_text("Quake hits Mexico", "A strong quake hit Mexico.") == (
        "Quake hits Mexico. Quake hits Mexico. A strong quake hit Mexico."
    )
    assert document_text("Only a title", None) == "Only a title"
    assert document_text(None, "Only a body.") == "Only a body."


def test_e5_vectors_are_centred(reprs: list[ArticleRepr]) -> None:
    raw = {"e5-small:title": np.ones(384, np.float32) / np.sqrt(384), "use-m3": _unit(0)}
    out = centre_e5(dict(raw))
    assert np.linalg.norm(out["e5-small:title"]) == pytest.approx(1.0, abs=1e-5)
    assert not np.allclose(out["e5-small:title"], raw["e5-small:title"])
    assert out["use-m3"] is raw["use-m3"]  # other spaces untouched
    # Centred e5 title vectors of unrelated headlines are far less alike than raw e5 (~0.8).
    en, _, _, bank, _ = reprs
    assert float(np.dot(en.vectors["e5-small:title"], bank.vectors["e5-small:title"])) < 0.5


def test_date_gap_penalty() -> None:
    assert date_penalty(None, date(2020, 1, 1)) == 1.0
    assert date_penalty(date(2020, 1, 1), date(2020, 1, 3)) == 1.0
    assert date_penalty(date(2020, 1, 1), date(2020, 1, 10)) == pytest.approx(0.5)
    assert date_penalty(date(2020, 1, 1), date(2020, 3, 1)) < 0.01
    a = build_repr(*QUAKE_EN, published="2020-06-23")
    b = build_repr(*QUAKE_ES, published="2020-06-23T10:00:00")
    c = build_repr(*QUAKE_ES, published=date(2021, 6, 23))
    assert story_similarity(a, b) > 0.5
    assert story_similarity(a, c) < 0.01


# --- bench -----------------------------------------------------------------------------------


def _write_pairs(path: Path, repeat: int = 1) -> Path:
    rows = []
    texts = [QUAKE_EN, QUAKE_ES, QUAKE_OTHER, BANK]
    pairs = [(0, 1, 1.0), (0, 2, 3.0), (0, 3, 4.0), (1, 3, 4.0), (1, 2, 3.5), (2, 3, 4.0)] * repeat
    for n, (i, j, overall) in enumerate(pairs):
        a, b = texts[i], texts[j]
        rows.append({"pair_id": f"p{n}", "lang1": a[2], "lang2": b[2], "text1": f"{a[0]}  {a[1]}",
                     "text2": f"{b[0]}  {b[1]}", "Overall": overall})
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["pair_id", "lang1", "lang2", "text1", "text2", "Overall"])
        w.writeheader()
        w.writerows(rows)
    return path


def test_bench_on_tiny_csv(tmp_path: Path) -> None:
    result = run(_write_pairs(tmp_path / "pairs.csv"))
    assert result["n"] == 6 and result["n_same"] == 1 and result["n_different"] == 5
    assert result["roc_auc"] == 1.0
    assert result["pearson_r"] > 0.7
    assert set(result["per_lang_pair"]) == {"en-es", "en-en", "es-en"}
    assert result["per_lang_pair"]["en-en"]["n"] == 3
    table = format_table(result)
    assert "| all | 6 |" in table and "| en-en | 3 |" in table
    json.dumps(result)  # JSON-able
    assert run(tmp_path / "pairs.csv", limit=2)["n"] == 2


def test_refit_reports_held_out_and_shipped_scores(tmp_path: Path) -> None:
    from newsloom.bench.similarity import refit

    fit = refit(_write_pairs(tmp_path / "pairs.csv", repeat=2), splits=2)
    assert fit["model"] == 1 and fit["n"] == 12  # the default path: USE-m3 + e5 title
    assert len(fit["weights"]) == len(fit["shipped_weights"]) == 8
    assert fit["shipped"]["roc_auc"] == 1.0
    assert fit["held_out_roc_auc"] is not None
    with pytest.raises(BenchError, match="6 pairs for model 1; need at least 10"):
        refit(_write_pairs(tmp_path / "few.csv"), splits=1)


def test_bench_with_custom_scorer_and_metrics(tmp_path: Path) -> None:
    path = _write_pairs(tmp_path / "pairs.csv")
    perfect = run(path, scorer=lambda rows: [4.0 - r["overall"] for r in rows])
    assert perfect["pearson_r"] == 1.0 and perfect["roc_auc"] == 1.0
    inverted = run(path, scorer=lambda rows: [r["overall"] for r in rows])
    assert inverted["pearson_r"] == -1.0 and inverted["roc_auc"] == 0.0
    assert roc_auc([1.0], []) is None


def test_bench_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="not found"):
        read_pairs(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("pair_id,text1,text2\n1,a,b\n", encoding="utf-8")
    with pytest.raises(BenchError, match="missing column.*lang1"):
        read_pairs(bad)
    bad.write_text("pair_id,lang1,lang2,text1,text2,Overall\n1,en,en,a,b,high\n", encoding="utf-8")
    with pytest.raises(BenchError, match=r"bad.csv:2: Overall='high'"):
        read_pairs(bad)
    bad.write_text("pair_id,lang1,lang2,text1,text2,Overall\n", encoding="utf-8")
    with pytest.raises(BenchError, match="no pairs"):
        read_pairs(bad)
    bad.write_bytes(b"pair_id,lang1,lang2,text1,text2,Overall\n1,en,en,\xff\xfe,b,1\n")
    with pytest.raises(BenchError, match="not UTF-8"):
        read_pairs(bad)
    with pytest.raises(BenchError, match="mode 'turbo'"):
        run(_write_pairs(tmp_path / "ok.csv"), mode="turbo")


def test_split_title() -> None:
    assert split_title("A headline here  Body text follows.") == ("A headline here", "Body text follows.")
    assert split_title("A headline here\nBody.") == ("A headline here", "Body.")
    title, body = split_title("word " * 60)
    assert 40 < len(title) <= 100 and body.startswith(title)


def test_semeval_sample_stays_above_floor(shared_dir: Path) -> None:
    pairs = shared_dir / "corpora" / "semeval2022-t8" / "dev.csv"
    if not pairs.is_file():
        pytest.skip(f"{pairs} not found (../shared not found)")
    result = run(pairs, limit=100)
    assert result["n"] == 100
    # The first 100 dev pairs score r 0.801 / AUC 0.950 (all 533: 0.790 / 0.944); the previous
    # model (clipped linear, no boilerplate removal) scored r 0.794 here, so the r floor fails
    # on a regression to it; the AUC floor on one to the model before (0.778 / 0.938).
    assert result["pearson_r"] > 0.797
    assert result["roc_auc"] > 0.945


def test_story_groups_bench(tmp_path: Path) -> None:
    from newsloom.bench.similarity import run_story_groups

    docs = [
        {"story_id": "q", "lang": "en", "title": QUAKE_EN[0], "text": QUAKE_EN[1], "topic": "t", "date": "2020-06-23"},
        {"story_id": "q", "lang": "es", "title": QUAKE_ES[0], "text": QUAKE_ES[1], "topic": "t", "date": "2020-06-23"},
        {"story_id": "j", "lang": "en", "title": QUAKE_OTHER[0], "text": QUAKE_OTHER[1], "topic": "t"},
        {"story_id": "b", "lang": "en", "title": BANK[0], "text": BANK[1], "topic": "u"},
    ]
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")
    result = run_story_groups(path, use_dates=False)
    assert result["same_pairs"] == 1 and result["different_pairs"] == 5
    assert result["roc_auc"] == 1.0 and result["roc_auc_hard_negatives"] == 1.0
    path.write_text('{"no_story": 1}\n', encoding="utf-8")
    with pytest.raises(BenchError, match="docs.jsonl:1: expected an object with story_id"):
        run_story_groups(path)
