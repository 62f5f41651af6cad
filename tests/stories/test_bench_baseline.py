"""The plain baseline of ``bench stories``: greedy centroid clustering and where its threshold
is fitted (stub vectors, no models)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsloom.bench import stories_baseline as sb
from newsloom.errors import BenchError


def _v(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=np.float32)


def test_greedy_groups_and_splits() -> None:
    vecs = [_v(1, 0, 0), _v(0, 1, 0), _v(0.95, 0.05, 0), _v(0.05, 0.9, 0.1), _v(0, 0, 1)]
    labels = sb.greedy(vecs, ["use"] * 5, 0.8)
    assert labels[0] == labels[2] and labels[1] == labels[3]
    assert len({labels[0], labels[1], labels[4]}) == 3
    # everything apart above any cosine, everything together at -1
    assert len(set(sb.greedy(vecs, ["use"] * 5, 1.01))) == 5
    assert len(set(sb.greedy(vecs, ["use"] * 5, -1.0))) == 1


def test_greedy_uses_the_renormalised_centroid_and_the_highest_cosine() -> None:
    # a (1,0) and b (0.8,0.6) join at t=0.75; the centroid is then ~(0.949,0.316)
    # c (0.6,0.8): cos to a alone would be 0.6 (< t) but to the centroid ~0.822 -> joins
    a, b, c = _v(1, 0), _v(0.8, 0.6), _v(0.6, 0.8)
    assert sb.greedy([a, b, c], ["m"] * 3, 0.75) == [0, 0, 0]
    # two clusters; the item joins the closer one, not the first
    d, e, f = _v(1, 0), _v(0, 1), _v(0.3, 0.95)
    assert sb.greedy([d, e, f], ["m"] * 3, 0.5) == [0, 1, 1]


def test_greedy_keeps_vector_spaces_apart() -> None:
    vecs = [_v(1, 0), _v(1, 0), _v(1, 0)]
    labels = sb.greedy(vecs, ["use-m3", "e5-small", "use-m3"], 0.5)
    assert labels[0] == labels[2] != labels[1]


def test_fit_threshold_picks_the_best_grid_value() -> None:
    # two gold stories whose members are 0.7 apart in cosine, 0.0 between stories
    vecs = [_v(1, 0, 0), _v(0.7, 0.714, 0), _v(0, 0, 1), _v(0, 0.714, 0.7)]
    gold = ["a", "a", "b", "b"]
    t, f1 = sb.fit_threshold(vecs, ["m"] * 4, gold)
    assert f1 == pytest.approx(1.0) and 0.30 <= t <= 0.70
    assert sb.GRID[0] == 0.30 and sb.GRID[-1] == 0.90 and len(sb.GRID) == 31


def _corpus(path: Path, prefix: str, n: int = 4) -> Path:
    rows = [{"doc_id": f"{prefix}{i}", "story_id": f"{prefix}-s{i // 2}", "lang": "en",
             "title": f"{prefix} title {i}", "text": f"{prefix} story {i // 2} text number {i}."} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


class _StubService:
    """embed_routed on a stub: records which documents were embedded."""

    model = "use-m3"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed_routed(self, article: Any) -> tuple[str, np.ndarray]:
        self.seen.append(article.doc_id)
        story = int(article.doc_id[-1]) // 2
        v = np.zeros(8, dtype=np.float32)
        v[story] = 1.0
        return self.model, v


def test_threshold_is_fitted_on_the_fit_corpus_only(tmp_path: Path) -> None:
    from newsloom.bench.stories import read_corpus
    from newsloom.config import Settings

    scored = _corpus(tmp_path / "scored.jsonl", "s")
    fit = _corpus(tmp_path / "fit.jsonl", "f")
    svc = _StubService()
    out = sb.fit_on_corpus(fit, [scored], read_corpus(scored), svc, Settings.load(db="sqlite://"),
                           "date", 0, True)
    assert svc.seen and all(d.startswith("f") for d in svc.seen)  # never a scored document
    assert out["fit_corpus"] == str(fit) and out["fit_documents"] == 4 and out["fit_bcubed_f1"] == pytest.approx(1.0)
    # the scored corpus itself, or one sharing documents with it, is refused
    with pytest.raises(BenchError, match="another corpus"):
        sb.fit_on_corpus(scored, [scored], read_corpus(scored), svc, Settings.load(db="sqlite://"), "date", 0, True)
    copy = tmp_path / "copy.jsonl"
    copy.write_text(scored.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(BenchError, match="shares 4 document"):
        sb.fit_on_corpus(copy, [scored], read_corpus(scored), svc, Settings.load(db="sqlite://"), "date", 0, True)
    with pytest.raises(BenchError, match="not found"):
        sb.fit_on_corpus(tmp_path / "nope.jsonl", [scored], [], svc, Settings.load(db="sqlite://"), "date", 0, True)


def test_default_fit_corpus_is_another_corpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSLOOM_SHARED", str(tmp_path))
    mt = tmp_path / "corpora" / "wikinews-meantime" / "docs.jsonl"
    pr = tmp_path / "corpora" / "wikinews-primer" / "docs.jsonl"
    assert sb.default_fit_corpus([mt]) == pr
    assert sb.default_fit_corpus([pr]) == mt
    assert sb.default_fit_corpus([tmp_path / "semeval-titles.jsonl"]) == mt
    with pytest.raises(BenchError, match="--baseline-fit-corpus"):
        sb.default_fit_corpus([mt, pr])


class _StubStore:
    def __init__(self, vecs: dict[int, tuple[str, np.ndarray]]) -> None:
        self.vecs = vecs

    def get_embeddings(self, ids: Any, models: Any) -> dict[int, tuple[str, bytes]]:
        return {i: (m, v.astype(np.float32).tobytes()) for i, (m, v) in self.vecs.items() if i in set(ids)}


def test_run_baseline_scores_the_stream_with_stored_vectors() -> None:
    rows = [{"doc_id": d, "story_id": s, "lang": l} for d, s, l in
            [("a", "x", "en"), ("b", "x", "it"), ("c", "y", "en"), ("d", "y", "en")]]
    store = _StubStore({1: ("use-m3", _v(1, 0)), 2: ("use-m3", _v(0.9, 0.1)), 3: ("use-m3", _v(0, 1))})
    # d was not stored (a duplicate): embedded the product's way; "unread" would be unplaced
    svc = _StubService()
    svc.embed_routed = lambda a: ("use-m3", _v(0.1, 1))  # type: ignore[method-assign]

    class _A:
        doc_id = "d"

    out = sb.run_baseline(rows, {"a": 1, "b": 2, "c": 3, "d": None}, {"d": _A()}, store, svc,
                          {"threshold": 0.5, "fit_corpus": "other.jsonl", "fit_documents": 9, "fit_bcubed_f1": 0.7})
    assert out["predicted_stories"] == 2 and out["threshold"] == 0.5 and out["fit_corpus"] == "other.jsonl"
    assert out["scores"]["overall"]["bcubed"]["f1"] == pytest.approx(1.0)
    assert out["scores"]["cross-language"]["bcubed"]["f1"] == pytest.approx(1.0)
    lines = sb.format_baseline({"scores": out["scores"], "baseline": out})
    assert any(line.startswith("| overall |") for line in lines) and "t = 0.50" in lines[1]


def test_cli_reports_the_baseline_beside_newsloom(tmp_path: Path) -> None:
    """Through the real pipeline and models: the baseline is in the JSON and the table, fitted on
    the other corpus; a fit corpus that is the scored one is a clear error, not a traceback."""
    from click.testing import CliRunner

    from newsloom.cli import cli

    def write(path: Path, prefix: str) -> Path:
        docs = [("quake", "en", "Earthquake hits Chile", "A strong earthquake struck central Chile on Monday."),
                ("quake", "es", "Terremoto sacude Chile", "Un fuerte terremoto sacudió el centro de Chile el lunes."),
                ("vote", "en", "Parliament passes budget", "The parliament approved the national budget on Tuesday."),
                ("vote", "it", "Il parlamento approva il bilancio", "Il parlamento ha approvato il bilancio martedì.")]
        path.write_text("".join(json.dumps({"doc_id": f"{prefix}{i}", "story_id": f"{prefix}{s}", "lang": lang,
                                            "title": t, "text": x}) + "\n"
                                for i, (s, lang, t, x) in enumerate(docs)), encoding="utf-8")
        return path

    scored, fit = write(tmp_path / "scored.jsonl", "s"), write(tmp_path / "fit.jsonl", "f")
    res = CliRunner().invoke(cli, ["bench", "stories", "--short", "--corpus", str(scored),
                                   "--baseline-fit-corpus", str(fit), "--json"])
    assert res.exit_code == 0, res.output
    b = json.loads(res.output)["baseline"]
    assert b["fit_corpus"] == str(fit) and b["fit_documents"] == 4 and b["threshold"] in sb.GRID
    assert {"overall", "cross-language"} <= set(b["scores"])
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "newsloom", "bench", "stories", "--corpus", str(scored),
                           "--baseline-fit-corpus", str(scored)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "another corpus" in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr
    # a user's own corpus on a machine without ../shared: the bench runs, the baseline is skipped
    # with a line saying why (a fit corpus the user names and that is missing stays an error)
    res = CliRunner().invoke(cli, ["bench", "stories", "--short", "--corpus", str(scored), "--json"],
                             env={"NEWSLOOM_SHARED": str(tmp_path / "no-shared")})
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert "baseline" not in doc and "default fit corpus" in doc["baseline_skipped"]
    res = CliRunner().invoke(cli, ["bench", "stories", "--corpus", str(scored),
                                   "--baseline-fit-corpus", str(tmp_path / "missing.jsonl")])
    assert res.exit_code != 0 and "not found" in str(res.exception)  # main() prints it as one line
