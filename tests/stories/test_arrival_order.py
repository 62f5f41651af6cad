"""Arrival order, with the real embedder and pipeline: the crash tests' corpus (five events,
each reported over three days in English, Spanish, French and German plus a wire copy) stored
through ``Pipeline.commit`` in shuffled orders gives the stories and "first report" marks that
date order gives, once the pass has ended (``catch_up_stories`` settles: one maintenance pass).

Before merges were judged on the join's scale (``maintenance._cross_scores``), an event's German
reports that arrived before any other language formed a story of their own in about 2 of 5
orders: one German report against one English report falls below the join threshold, and the
merge left out the allowances the join grants (another language, short texts)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from newsloom.config import Settings
from newsloom.models import Article
from newsloom.pipeline import Pipeline, analyse
from newsloom.store import open_store


def _crash_corpus():  # type: ignore[no-untyped-def]
    """benchmarks/crash.py's corpus (the module loaded by path: benchmarks is not a package)."""
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "crash.py"
    spec = importlib.util.spec_from_file_location("_crash_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.corpus()

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _articles() -> list[Article]:
    out = []
    for pages in _crash_corpus().values():
        for p in pages:
            out.append(Article(url=f"https://{p.path.split('/')[1]}.example{p.path}", title=p.title, text=p.text,
                               lang=p.lang, published=datetime.fromisoformat(p.published.replace("Z", "+00:00"))))
    return out


def _stories(tmp_path: Path, name: str, order: list[Article]) -> tuple[set[frozenset[str]], set[str]]:
    """(stories as sets of urls, urls marked first) after one pass in ``order``."""
    db = f"sqlite:///{tmp_path / name}.db"
    settings = Settings.load(db=db, stories=True)
    with open_store(db) as store:
        pipeline = Pipeline(store, settings, with_stories=True)
        for a in order:
            fresh = Article(url=a.url, title=a.title, text=a.text, lang=a.lang, published=a.published)
            out = pipeline.commit(analyse(fresh, settings))
            assert out.article_id is not None, out
        pipeline.catch_up_stories()  # what every pass ends with
        members: dict[int, set[str]] = {}
        first = set()
        for a in store.iter_articles():
            assert a.story_id is not None, a.url
            members.setdefault(a.story_id, set()).add(a.url)
            if a.lineage == "first":
                first.add(a.url)
    return {frozenset(m) for m in members.values()}, first


def test_shuffled_arrival_gives_the_date_ordered_stories_and_first_reports(tmp_path: Path) -> None:
    articles = _articles()
    by_date = sorted(articles, key=lambda a: a.published)
    stories, first = _stories(tmp_path, "date", by_date)
    assert len(stories) == 5 and all(len(s) == 13 for s in stories)  # 4 languages x 3 days + the wire copy
    assert len(first) == 5 and all("/en/" in u and u.endswith("/0") for u in first)
    for seed in range(5):  # seeds 0-4 include the orders that split the German reports before
        order = list(articles)
        np.random.default_rng(seed).shuffle(order)  # type: ignore[arg-type]
        got, got_first = _stories(tmp_path, f"shuffled{seed}", order)
        assert got == stories, f"seed {seed}: {sorted(map(len, got))}"
        assert got_first == first, f"seed {seed}: {sorted(got_first ^ first)}"
