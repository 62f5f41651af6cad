"""`newsloom bench pipeline --fetch`: synthetic pages (seeded) when the corpora are missing, one
real fetch pass over loopback into stories with two worker processes; every article stored gets
a story, the vectors the workers computed are those the stories service computes, the table
and JSON carry every stage, the queue lag and memory. No timing is asserted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from newsloom.bench.fetch_pipeline import load_rows, synthetic_rows
from newsloom.cli.main import cli
from newsloom.errors import BenchError


def test_synthetic_pages_are_seeded_and_used_without_corpora(tmp_path: Path) -> None:
    assert synthetic_rows(30, seed=1) == synthetic_rows(30, seed=1) != synthetic_rows(30, seed=2)
    rows, what = load_rows(tmp_path, 12)  # no corpora under tmp_path
    assert len(rows) == 12 and what.startswith("synthetic") and len({r["story_id"] for r in rows}) < 12


def test_bench_pipeline_fetch_runs_end_to_end_into_stories(tmp_path: Path) -> None:
    out = tmp_path / "fetch.json"
    res = CliRunner().invoke(cli, ["bench", "pipeline", "--fetch", "--shared", str(tmp_path), "--articles", "24",
                                   "--feeds", "3", "--workers", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["articles_served"] == 24 and data["pages_fetched"] == 24 and data["workers"] == 2
    assert data["articles_stored"] == data["articles_with_story"] >= 20
    assert set(data["stages"]) == {"fetch", "analyse", "embed", "dedupe+store", "stories"}
    assert data["stages"]["embed"]["where"] == "2 worker processes"
    assert data["stages"]["embed"]["articles"] == 24  # embedded ahead, in the workers
    assert data["queue_lag_s"]["max"] is not None and data["peak_rss_mb"]["workers_total"] > 0
    for label in ("extract/analyse", "embed (story vectors)", "end to end", "queue lag"):
        assert label in res.output


def test_bench_pipeline_needs_a_corpus_or_fetch() -> None:
    res = CliRunner().invoke(cli, ["bench", "pipeline"])  # main() prints it as one line, exit 1
    assert isinstance(res.exception, BenchError) and "--corpus" in str(res.exception)


def test_fetch_with_workers_stores_the_vectors_the_service_computes(tmp_path: Path) -> None:
    """The workers' vectors, stored by the stories stage, equal the service's own, byte for byte."""
    from newsloom.bench.fetch_pipeline import feed_xml, page_html
    from newsloom.bench.loopback import Loopback
    from newsloom.config import Settings
    from newsloom.models import Feed, Source
    from newsloom.pipeline import Pipeline
    from newsloom.store import open_store
    from newsloom.stories.service import TITLE_MODEL

    rows = synthetic_rows(10, seed=3)
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    pages = [(f"/a/{i}.html", r) for i, r in enumerate(rows)]
    for path, r in pages:
        (site / path.lstrip("/")).write_bytes(page_html(r))
    db = f"sqlite:///{tmp_path / 'f.db'}"
    settings = Settings.load(db=db, stories=True, allow_private_networks=True, workers=2,
                             requests_per_second_per_host=1000.0)
    with Loopback(site) as srv, open_store(db) as store:
        (site / "feed.xml").write_bytes(feed_xml(srv.base, pages))
        src = store.add_source(Source(name="t", url=srv.base + "/", country="GB", language="en"))
        store.add_feed(Feed(url=f"{srv.base}/feed.xml", source_id=src.id))
        pipeline = Pipeline(store, settings)
        summary, _ = pipeline.fetch_once()
        assert summary.counts["new"] == 10
        service = pipeline.stories
        for art in store.list_articles(limit=20):
            assert art.story_id is not None
            got = store.get_embedding(art.id, service.model)  # type: ignore[arg-type]
            assert got == np.asarray(service.embed([art])[0], np.float32).tobytes()
            title = store.get_embedding(art.id, TITLE_MODEL)  # type: ignore[arg-type]
            if title is not None:
                assert title == np.asarray(service.embed_title(art), np.float32).tobytes()
