from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsloom.models import RawDocument

REPO = Path(__file__).resolve().parents[2]

PARAS = [
    (
        "The city council voted on Tuesday to expand the tram network to the northern districts, "
        "a project that has been debated for more than a decade."
    ),
    (
        "Supporters said the new line would cut commuting times in half for tens of thousands of "
        "residents who now depend on crowded buses."
    ),
    (
        "Opponents argued that the cost, estimated at 400 million euros, would force cuts to other "
        "services and raise local taxes for years to come."
    ),
    (
        "Construction is expected to begin next spring and to last about three years, the mayor's "
        "office said in a statement after the vote."
    ),
]


def shared_dir() -> Path:
    env = os.environ.get("NEWSLOOM_SHARED")
    path = Path(env) if env else REPO.parent / "shared"
    if not path.is_dir():
        pytest.skip(f"{path}: ../shared not found (set NEWSLOOM_SHARED)")
    return path


def page(
    body: str = "", head: str = "", paras: list[str] | None = None, title: str = "Tram vote"
) -> str:
    """A small news page: <head> extras, the standard paragraphs, then ``body`` inside the article."""
    ps = "\n".join(f"<p>{p}</p>" for p in (PARAS if paras is None else paras))
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body><header><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></header>"
        f"<article><h1>{title}</h1>{ps}\n{body}</article>"
        f"<footer><p>Contact us</p></footer></body></html>"
    )


def raw_html(
    html: str | bytes, url: str = "https://news.example.com/2024/tram-vote", **kw
) -> RawDocument:
    body = html.encode("utf-8") if isinstance(html, str) else html
    return RawDocument(url=url, body=body, content_type=kw.pop("content_type", "text/html"), **kw)


def raw_text(text: str, url: str = "file:///tmp/article.txt") -> RawDocument:
    return RawDocument(url=url, body=text.encode("utf-8"), content_type="text/plain", origin="file")
