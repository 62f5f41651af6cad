"""Prometheus metrics (prometheus_client): request latency by route, and at each scrape the
store's counts (articles, stories, fetch outcomes, how far the fetcher is behind) and where the
serving process's memory is."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from newsloom.models import utcnow
from newsloom.store.base import Store

REGISTRY = CollectorRegistry()
LATENCY = Histogram(
    "newsloom_http_request_seconds", "Time to answer an HTTP request", ["route", "method", "status"],
    registry=REGISTRY, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5),
)


def observe(route: str, method: str, status: int, seconds: float) -> None:
    LATENCY.labels(route, method, str(status)).observe(seconds)


class _StoreCollector:
    def __init__(self, store: Store, settings: Any = None) -> None:
        self.store = store
        self.settings = settings

    def collect(self):  # type: ignore[no-untyped-def]
        s = self.store
        yield GaugeMetricFamily("newsloom_articles", "Articles stored", value=s.count_articles())
        yield GaugeMetricFamily("newsloom_stories", "Stories (not merged away)",
                                value=s.count_stories())  # type: ignore[attr-defined]
        fetches = CounterMetricFamily("newsloom_fetches", "Fetch outcomes in the fetch log", labels=["status"])
        for status, n in sorted(s.fetch_outcomes().items()):  # type: ignore[attr-defined]
            fetches.add_metric([status], n)
        yield fetches
        due = s.oldest_due()  # type: ignore[attr-defined]
        lag = max(0.0, (utcnow() - due).total_seconds()) if due is not None else 0.0
        yield GaugeMetricFamily("newsloom_queue_lag_seconds",
                                "How long the most overdue active feed has waited", value=lag)
        from newsloom.app.rights import overdue  # the SLA alarm: open removal requests past the deadline

        yield GaugeMetricFamily("newsloom_takedowns_overdue", "Removal requests past their deadline",
                                value=len(overdue(s)))
        if self.settings is not None:  # how far the recrawl (1 h / 24 h / 7 d by default) is behind
            from newsloom.app.recrawl import backlog

            due_n, late = backlog(s, self.settings)
            yield GaugeMetricFamily("newsloom_recrawl_due", "Articles due for a recrawl now", value=due_n)
            yield GaugeMetricFamily("newsloom_recrawl_lag_seconds",
                                    "How late the most overdue recrawl is", value=late or 0.0)


class _MemoryCollector:
    """This process's memory by kind (memtrim.memory_breakdown): a daemon's RSS that rises can be
    told to be live allocations or free heap not returned, from outside, without a debugger."""

    def collect(self):  # type: ignore[no-untyped-def]
        from newsloom.memtrim import memory_breakdown

        parts = memory_breakdown()
        blocks = parts.pop("python_blocks")
        family = GaugeMetricFamily("newsloom_process_memory_bytes",
                                   "This process's memory: resident anonymous and file-backed, malloc heap in use "
                                   "(of which mmapped) and held free, SQLite's own (page caches, statements), CPython's "
                                   "small-object arenas, the live blocks in them and their free space",
                                   labels=["kind"])
        for kind, value in sorted(parts.items()):
            family.add_metric([kind], value)
        yield family
        yield GaugeMetricFamily("newsloom_python_allocated_blocks", "Blocks CPython's allocator holds for objects",
                                value=blocks)
        from newsloom.memtrim import cache_fill

        entries = GaugeMetricFamily("newsloom_cache_entries", "Entries held by a bounded in-memory cache",
                                    labels=["cache"])
        capacity = GaugeMetricFamily("newsloom_cache_capacity", "Entries a bounded in-memory cache holds at most",
                                     labels=["cache"])
        for name, (size, cap) in sorted(cache_fill().items()):
            entries.add_metric([name], size)
            capacity.add_metric([name], cap)
        yield entries
        yield capacity


def exposition(store: Store, settings: Any = None) -> bytes:
    reg = CollectorRegistry()
    reg.register(_StoreCollector(store, settings))  # type: ignore[arg-type]
    reg.register(_MemoryCollector())  # type: ignore[arg-type]
    return generate_latest(REGISTRY) + generate_latest(reg)
