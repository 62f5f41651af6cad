from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest

from newsloom.bench.extraction import (
    BASELINE_NAME,
    NEWSLOOM_NAME,
    compare,
    detect_layout,
    format_table,
    page_scores,
    run,
    run_all,
    shingles,
    snippet_counts,
)
from newsloom.errors import NewsloomError

from ._pages import PARAS, page

REPO = Path(__file__).resolve().parents[2]


def _plain(paras: list[str]) -> str:
    # no <article>, og:type or JSON-LD: a short page like this is refused, not kept as a brief
    return page(paras=paras).replace("<article>", "<div>").replace("</article>", "</div>")


def _corpus(tmp_path: Path) -> Path:
    (tmp_path / "html").mkdir(parents=True)
    gold = {}
    for i, paras in enumerate([PARAS, PARAS[:1]]):
        (tmp_path / "html" / f"p{i}.html.gz").write_bytes(gzip.compress(_plain(paras).encode()))
        gold[f"p{i}"] = {"articleBody": "\n\n".join(paras), "url": f"https://news.example.com/{i}"}
    (tmp_path / "ground-truth.json").write_text(json.dumps(gold))
    return tmp_path


def _snippet_corpus(tmp_path: Path) -> Path:
    """The trafilatura-eval layout: gold.json with "with"/"without" snippets."""
    (tmp_path / "html").mkdir(parents=True)
    html = _plain(PARAS).replace("<p>Contact us</p>", "<p>Contact us</p><p>Impressum</p>")
    (tmp_path / "html" / "a.html.gz").write_bytes(gzip.compress(html.encode()))
    gold = {
        "a": {
            "url": "https://news.example.com/a",
            # the second snippet spans a line break in the page: whitespace is normalised
            "with": ["expand the tram network", "depend on  crowded\nbuses", "not on the page"],
            "without": ["Contact us", "Impressum", "Home"],
        }
    }
    (tmp_path / "gold.json").write_text(json.dumps(gold))
    return tmp_path


def test_shingles_and_page_scores() -> None:
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("a b") == {("a", "b"): 1}  # shorter than n: one short shingle
    assert page_scores("a b c d e", "a b c d e") == (1.0, 1.0)
    assert page_scores("", "") == (1.0, 1.0)
    assert page_scores("a b c d e", "") == (0.0, 0.0)
    p, r = page_scores("a b c d e f", "a b c d")  # 1 of 3 gold shingles found, nothing wrong
    assert (p, r) == (1.0, pytest.approx(1 / 3))


def test_snippet_counts_as_the_trafilatura_evaluation() -> None:
    gold = {
        "with": ["a  b", "c", "x", "y", "z", "w", "seventh"],
        "without": ["n1", "n2", "q", "k1", "k2", "k3", "n3"],
    }
    # whitespace-normalised; only the first 6 of each list count
    assert snippet_counts(gold, "a\nb c seventh n1 n2 q n3") == (2, 4, 3)
    assert snippet_counts(gold, "") == (0, 6, 0)
    assert snippet_counts({"with": ["Ab"], "without": []}, "ab") == (0, 1, 0)  # case counts


def test_run_scores_the_real_path(tmp_path: Path) -> None:
    result = run(_corpus(tmp_path))
    assert result["layout"] == "aeb" and result["name"] == NEWSLOOM_NAME
    assert result["pages"] == 2 and result["errors"] == 1  # the 1-paragraph page is under 200 chars
    assert result["per_page"][0]["recall"] == 1.0 and result["per_page"][1]["recall"] == 0.0
    assert result["recall"] == pytest.approx(0.5)
    assert result["f1"] == pytest.approx(
        2 * result["precision"] * 0.5 / (result["precision"] + 0.5)
    )
    assert result["ms_mean"] > 0 and result["ms_median"] > 0 and result["peak_rss_mb"] > 0
    table = format_table(result)
    assert "| F1 |" in table.splitlines()[0] and f"{result['f1']:.4f}" in table


def test_snippet_layout_is_scored_on_corpus_totals(tmp_path: Path) -> None:
    corpus = _snippet_corpus(tmp_path)
    assert detect_layout(corpus) == "snippets"
    result = run(corpus)
    assert result["layout"] == "snippets"
    # 2 of 3 "with" found; "Contact us", "Impressum" and "Home" are boilerplate and dropped
    assert (result["tp"], result["fn"], result["fp"]) == (2, 1, 0)
    assert result["precision"] == 1.0 and result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(2 * 2 / (2 * 2 + 0 + 1))
    echo = run(corpus, extractor=lambda raw: "Impressum expand the tram network")
    assert (echo["tp"], echo["fn"], echo["fp"]) == (1, 2, 1) and echo["precision"] == 0.5


def test_both_layouts_side_by_side_with_trafilatura(tmp_path: Path) -> None:
    results = run_all([_corpus(tmp_path / "aeb"), _snippet_corpus(tmp_path / "snip")])
    assert [(r["layout"], r["name"]) for r in results] == [
        ("aeb", BASELINE_NAME),
        ("aeb", NEWSLOOM_NAME),
        ("snippets", BASELINE_NAME),
        ("snippets", NEWSLOOM_NAME),
    ]
    assert all(r["ms_median"] > 0 and r["cpu_ms_median"] > 0 for r in results)
    base = results[0]
    assert base["errors"] == 0 and base["per_page"][1]["recall"] > 0  # no minimum for trafilatura
    text = format_table(results)
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 6 and "ms/page (median)" in table[0]
    # the split by page id is reported for both layouts: the AEB corpus here has a page in each
    # half, the snippet corpus one page (a single half, no line)
    assert [len(r["halves"]) for r in results] == [2, 2, 1, 1]
    assert "aeb (aeb), newsloom extract+cleanup: F1" in text and "snip (snippets), newsloom" not in text
    assert "aeb (aeb)" in table[2] and "snip (snippets)" in table[5] and BASELINE_NAME in table[4]


def test_compare_runs_extractors_on_the_same_pages(tmp_path: Path) -> None:
    seen: dict[str, list[str]] = {"a": [], "b": []}
    results = compare(
        _corpus(tmp_path),
        {
            "a": lambda raw: seen["a"].append(raw.url) or "",
            "b": lambda raw: seen["b"].append(raw.url) or "\n".join(PARAS),
        },
        limit=1,
    )
    assert seen["a"] == seen["b"] == ["https://news.example.com/0"]
    assert [r["f1"] for r in results] == [0.0, 1.0]


def test_run_errors_name_the_folder(tmp_path: Path) -> None:
    with pytest.raises(NewsloomError, match="missing: no such folder"):
        run(tmp_path / "missing")
    with pytest.raises(NewsloomError, match="ground-truth.json.*gold.json"):
        run(tmp_path)
    (tmp_path / "ground-truth.json").write_text("{not json")
    with pytest.raises(NewsloomError, match="not valid JSON"):
        run(tmp_path)
    (tmp_path / "ground-truth.json").write_text("[1, 2]")
    with pytest.raises(NewsloomError, match="expected an object"):
        run(tmp_path)
    (tmp_path / "ground-truth.json").write_text("{}")
    with pytest.raises(NewsloomError, match="no pages found"):
        run(tmp_path)


def _script() -> object:
    spec = importlib.util.spec_from_file_location(
        "_bench_extraction_script", REPO / "benchmarks" / "extraction.py"
    )
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_benchmark_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = _script()
    out = tmp_path / "out.json"
    aeb, snip = _corpus(tmp_path / "c"), _snippet_corpus(tmp_path / "s")
    args = ["--corpus", str(aeb), "--corpus", str(snip), "--json", str(out)]
    assert script.main(args) == 0  # type: ignore[attr-defined]
    written = json.loads(out.read_text())
    assert [(r["layout"], r["name"]) for r in written] == [
        ("aeb", BASELINE_NAME), ("aeb", NEWSLOOM_NAME),
        ("snippets", BASELINE_NAME), ("snippets", NEWSLOOM_NAME),
    ]  # fmt: skip
    assert "per_page" not in written[0]  # per-page rows only with --per-page
    assert NEWSLOOM_NAME in capsys.readouterr().out
    assert script.main(["--corpus", str(tmp_path / "missing")]) == 2  # type: ignore[attr-defined]
    assert "missing" in capsys.readouterr().err


def test_cli_reports_both_layouts(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from newsloom.cli.main import cli

    aeb, snip = _corpus(tmp_path / "aeb"), _snippet_corpus(tmp_path / "snip")
    out = tmp_path / "r.json"
    res = CliRunner().invoke(
        cli, ["bench", "extraction", "--corpus", str(aeb), "--corpus", str(snip), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "aeb (aeb)" in res.output and "snip (snippets)" in res.output
    assert BASELINE_NAME in res.output and "ms/page (median)" in res.output
    rows = json.loads(out.read_text())
    assert len(rows) == 4 and "per_page" not in rows[0]
    res = CliRunner().invoke(cli, ["bench", "extraction", "--corpus", str(tmp_path)])
    # a NewsloomError: newsloom.cli.main.main prints it as one line and exits 1
    assert isinstance(res.exception, NewsloomError) and "gold.json" in str(res.exception)


def test_results_are_split_into_fitting_and_held_out_halves(tmp_path: Path) -> None:
    from newsloom.bench.extraction import half_of

    assert {half_of(f"p{i}") for i in range(10)} == {"fit", "held-out"}
    corpus = _snippet_corpus(tmp_path)
    gold = json.loads((corpus / "gold.json").read_text())
    gold["e"] = {**gold["a"], "url": "https://news.example.com/e"}  # "a" and "e": one per half
    (corpus / "gold.json").write_text(json.dumps(gold))
    (corpus / "html" / "e.html.gz").write_bytes((corpus / "html" / "a.html.gz").read_bytes())
    result = run(corpus)
    halves = result["halves"]
    assert sum(h["pages"] for h in halves.values()) == 2 and len(halves) == 2
    assert "held-out half" in format_table(result)
    for name, h in halves.items():
        assert h["pages"] == sum(1 for x in result["per_page"] if half_of(x["id"]) == name)
