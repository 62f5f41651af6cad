"""Screenshots of the reader's main pages at desktop (1280 px) and phone (390 px) width, in
headless Chromium (Debian's chromium, Playwright), into docs/screenshots/.

    python -m newsloom.web.screenshots [--db URL] [--meantime PATH] [--out docs/screenshots]

Without ``--db`` a demo store is built in a temporary folder (``newsloom.web.demo``: five
languages, plus MEANTIME when its path is given or found in ../shared).
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

from newsloom.config import Settings
from newsloom.store import open_store

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTHS = {"desktop": 1280, "phone": 390}


def _pages(base: str, story_id: int, source_id: int) -> dict[str, str]:
    return {
        "front": f"{base}/",
        "story": f"{base}/stories/{story_id}",
        "blindspots": f"{base}/blindspots?langs=en&countries=US",
        "search": f"{base}/search?q=earthquake+Indonesia",
        "source": f"{base}/sources/{source_id}",
        "front-pt-dark": f"{base}/?ui=pt",
    }


def shoot(db: str, out: Path, chromium: str = "/usr/bin/chromium") -> list[Path]:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from newsloom.app.stories import list_stories
    from newsloom.web import create_app

    store = open_store(db)
    app = create_app(store, Settings(db=db), semantic=True)
    top = list_stories(store, limit=30).items
    quake = next((c.story.id for c in top if "Sumatra" in " ".join(c.story.headlines.values())), top[0].story.id)
    source_id = next((s.id for s in store.list_sources() if s.name == "Daily Planet"), 1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            for kind, width in WIDTHS.items():
                for name, url in _pages(f"http://127.0.0.1:{port}", quake, source_id).items():  # type: ignore[arg-type]
                    dark = name.endswith("-dark")
                    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US",
                                              color_scheme="dark" if dark else "light",
                                              device_scale_factor=1)
                    page = ctx.new_page()
                    page.goto(url)
                    path = out / f"{name}-{kind}.png"
                    page.screenshot(path=str(path), full_page=False)
                    saved.append(path)
                    ctx.close()
            browser.close()
    finally:
        server.should_exit = True
        store.close()
    return saved


def main() -> None:
    ap = argparse.ArgumentParser(description="Screenshots of the reader's pages (desktop and phone).")
    ap.add_argument("--db", help="an existing store (default: build the demo store)")
    ap.add_argument("--meantime", type=Path, help="also load this MEANTIME docs.jsonl into the demo store")
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = ap.parse_args()
    db = args.db
    if db is None:
        from newsloom.web import demo

        tmp = Path(tempfile.mkdtemp(prefix="newsloom-shots-"))
        db = f"sqlite:///{tmp / 'demo.db'}"
        meantime = args.meantime
        if meantime is None:
            guess = Path(__file__).resolve().parents[3] / "shared/corpora/wikinews-meantime/docs.jsonl"
            meantime = guess if guess.is_file() else None
        with open_store(db) as store:
            n = demo.fill(store, Settings(db=db, workers=1), meantime=meantime)
        print(f"demo store: {n} articles ({'with' if meantime else 'without'} MEANTIME)")
    for path in shoot(db, args.out):
        print(path)


if __name__ == "__main__":
    main()
