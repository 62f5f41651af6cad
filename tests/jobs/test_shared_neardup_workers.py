"""Two `newsloom worker` processes on PostgreSQL take pages and their near copies queued back to
back (so the two pages of a pair often go to different workers at the same moment): every pair is
one original and one near-duplicate of it, through the near-duplicate index the workers share."""

from __future__ import annotations

import os
import random
import subprocess
import sys

from newsloom.jobs.queue import PROCESS_PAGE, enqueue
from newsloom.store import open_store

WORDS = ("river council harbour minister railway budget storm village school hospital bridge court "
         "farmers election museum factory police festival airport forest mayor union teachers drought").split()


def _page(words: list[str], title: str) -> str:
    paras = [" ".join(words[i : i + 50]) + "." for i in range(0, len(words), 50)]
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            + "".join(f"<p>{p}</p>" for p in paras) + "</article></body></html>")


def test_two_workers_near_copies_queued_together_one_original_each(pg: str) -> None:
    pairs = 15
    with open_store(pg) as store:
        for i in range(pairs):
            rnd = random.Random(i)
            words = [rnd.choice(WORDS) + str(rnd.randrange(60)) for _ in range(200)]
            enqueue(store, PROCESS_PAGE, {"url": f"https://a.example/{i}", "html": _page(words, f"Report {i}")})
            enqueue(store, PROCESS_PAGE, {"url": f"https://b.example/{i}",
                                          "html": _page([*words[:-1], "changed"], f"Report {i}")})
    env = {**os.environ, "NEWSLOOM_STORIES": "false", "NEWSLOOM_WORKERS": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "newsloom", "worker", "--db", pg, "--no-schedule",
                               "--exit-when-idle"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    with open_store(pg) as store:
        assert store.job_counts() == {(PROCESS_PAGE, "done"): 2 * pairs}
        arts = {a.url: a for a in store.iter_articles()}
        workers = {j.worker for j in store.list_jobs("done", limit=100)}
    assert len(workers) == 2  # both took pages
    for i in range(pairs):
        a, b = arts[f"https://a.example/{i}"], arts[f"https://b.example/{i}"]
        assert sorted([a.duplicate_of is None, b.duplicate_of is None]) == [False, True], i
        original, copy = (a, b) if a.duplicate_of is None else (b, a)
        assert copy.duplicate_of == original.id
