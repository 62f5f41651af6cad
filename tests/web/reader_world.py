"""What the reader's tests share: hostile markup, the planted hostile story, demo story ids."""

from __future__ import annotations

from datetime import datetime, timezone

from newsloom.models import Article, Story
from newsloom.store.base import Store
from newsloom.web import demo

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'
XSS_QUOTE = f"“{XSS} we will not stop”, said Evil Doer."


def hostile_articles(store: Store) -> list[Article]:
    src = demo.add_outlets(store)[0]
    text = (f"{XSS} A hostile page about the harbour fire in Valparaíso. {XSS_QUOTE} The fire "
            "destroyed 40 warehouses at the port on Monday, firefighters said, and 200 workers were "
            "evacuated while smoke covered the city for hours. " * 2)
    return [
        Article(url="https://hostile.example.net/fire?x=<script>", title=f"Harbour fire {XSS}", text=text,
                lang="en", source_id=src.id, is_copy=True, primary_url="javascript:alert(3)",
                description=f"{XSS} javascript:alert(4)"),
    ]


def plant_hostile_story(store: Store) -> int:
    """A story and an article stored directly (not through the pipeline, which would clean them):
    whatever a crawler could ever put in a field, the pages must escape."""
    a = store.add_article(Article(url="javascript:alert(5)", title=f"Direct {XSS}", text=f"{XSS} body",
                                  lang="xx", source=f"Src {XSS}", country="ZZ", primary_url="javascript:alert(6)",
                                  description=f"<b onmouseover=alert(7)>{XSS}</b>",
                                  published=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    story = Story(id=a.id, headlines={"en": f"Story {XSS}"}, languages=["en"], countries=["ZZ"],
                  sources=[f"Src {XSS}"], first_seen=a.published, last_updated=a.published, article_count=1,
                  first_article_id=a.id,
                  timeline=[{"at": f"{XSS}", "article_id": a.id, "lang": XSS, "title": XSS, "why": XSS}],
                  entities=[{"text": f"Evil {XSS}", "type": "PER", "count": 3}],
                  quotes=[{"text": XSS, "speaker": XSS, "lang": "en"}])
    store.save_story(story)
    a.story_id = story.id
    store.update_article(a)
    return int(story.id)  # type: ignore[arg-type]



def story_ids(client) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Demo story ids by event, from the API."""
    out = {}
    for item in client.get("/api/stories?limit=100").json()["items"]:
        h = " ".join(item["headlines"].values())
        for key, word in (("quake", "Sumatra"), ("pension", "Chile"), ("rail", "GDL"), ("rail", "Bahn")):
            if word in h:
                out[key] = item["id"]
    return out
