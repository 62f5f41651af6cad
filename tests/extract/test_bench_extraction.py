from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest

from newsloom.bench.extraction import format_table, page_scores, run, shingles
from newsloom.errors import NewsloomError

from ._pages import PARAS, page

REPO = Path(__file__).resolve().parents[2]


def _corpus(tmp_path: Path) -> Path:
    (tmp_path / "html").mkdir(parents=True)
    gold = {}
    for i, paras in enumerate([PARAS, PARAS[:1]]):
        (tmp_path / "html" / f"p{i}.html.gz").write_bytes(gzip.compress(page(paras=paras).encode()))
        gold[f"p{i}"] = {"articleBody": "\n\n".join(paras), "url": f"https://news.example.com/{i}"}
    (tmp_path / "ground-truth.json").write_text(json.dumps(gold))
    return tmp_path


def test_shingles_and_page_scores() -> None:
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("a b") == {("a", "b"): 1}  # shorter than n: one short shingle
    assert page_scores("a b c d e", "a b c d e") == (1.0, 1.0)
    assert page_scores("", "") == (1.0, 1.0)
    assert page_scores("a b c d e", "") == (0.0, 0.0)
    p, r = page_scores("a b c d e f", "a b c d")  # 1 of 3 gold shingles found, nothing wrong
    assert (p, r) == (1.0, pytest.approx(1 / 3))


def test_run_scores_the_real_path(tmp_path: Path) -> None:
    result = run(_corpus(tmp_path))
    assert result["pages"] == 2 and result["errors"] == 1  # the 1-paragraph page is under 200 chars
    assert result["per_page"][0]["recall"] == 1.0 and result["per_page"][1]["recall"] == 0.0
    assert result["recall"] == pytest.approx(0.5)
    assert result["f1"] == pytest.approx(
        2 * result["precision"] * 0.5 / (result["precision"] + 0.5)
    )
    assert result["ms_mean"] > 0 and result["peak_rss_mb"] > 0
    table = format_table(result)
    assert "| F1 |" in table.splitlines()[0] and f"{result['f1']:.4f}" in table


def test_run_with_custom_extractor_and_limit(tmp_path: Path) -> None:
    result = run(_corpus(tmp_path), limit=1, extractor=lambda raw: "\n".join(PARAS))
    assert result["pages"] == 1 and result["f1"] == 1.0


def test_run_errors_name_the_folder(tmp_path: Path) -> None:
    with pytest.raises(NewsloomError, match="ground-truth.json"):
        run(tmp_path)
    (tmp_path / "ground-truth.json").write_text("{not json")
    with pytest.raises(NewsloomError, match="not valid JSON"):
        run(tmp_path)


def test_benchmark_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location(
        "_bench_extraction_script", REPO / "benchmarks" / "extraction.py"
    )
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "out.json"
    assert script.main(["--corpus", str(_corpus(tmp_path / "c")), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["pages"] == 2
    assert "newsloom extract+cleanup" in capsys.readouterr().out
    assert script.main(["--corpus", str(tmp_path / "missing")]) == 2
