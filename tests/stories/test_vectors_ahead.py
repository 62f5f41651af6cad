"""Story vectors computed ahead (``newsloom.stories.vectors``, in the worker processes of a fetch
pass) give what the stories service computes itself: the same stories, the same embeddings
stored byte for byte under the same model keys (titles only where the clusterer asked), for
articles of both spaces; vectors whose text no longer matches (a reservation found later) are
not used; and they survive the trip to another process."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsloom.config import Settings
from newsloom.models import Article
from newsloom.store import open_store
from newsloom.store.base import Store
from newsloom.stories.service import FALLBACK_MODEL, TITLE_MODEL, StoryService
from newsloom.stories.vectors import prepare, take

T0 = datetime(2026, 11, 17, 8, tzinfo=UTC)
DOCS = [  # (lang, title, text): Swedish and Finnish are outside USE-m3, so routed to e5-small
    ("en", "Earthquake of magnitude 6.8 strikes Sumatra, killing 12",
     "A magnitude 6.8 earthquake struck off the west coast of Sumatra on Tuesday, killing at least 12 people "
     "and damaging more than 300 houses in Padang, Indonesia's disaster agency BNPB said."),
    ("sv", "Jordbävning med magnituden 6,8 skakar Sumatra, 12 döda",
     "En jordbävning med magnituden 6,8 skakade Sumatras västkust på tisdagen och dödade minst 12 personer "
     "och skadade över 300 hus i Padang, enligt Indonesiens katastrofmyndighet BNPB."),
    ("en", "Chile's senate approves pension reform after 10 years of debate",
     "Chile's senate on Wednesday approved a sweeping pension reform by 30 votes to 19, ending a decade of "
     "debate over the private pension system created in 1981."),
    ("fi", "Chilen senaatti hyväksyi eläkeuudistuksen 10 vuoden keskustelun jälkeen",
     "Chilen senaatti hyväksyi keskiviikkona laajan eläkeuudistuksen äänin 30-19, mikä päätti vuosikymmenen "
     "keskustelun vuonna 1981 luodusta yksityisestä eläkejärjestelmästä."),
    ("en", "Sumatra quake: death toll rises to 12, 300 houses damaged in Padang",
     "Indonesia's BNPB raised the toll of Tuesday's magnitude 6.8 earthquake off Sumatra to 12. More than 300 "
     "houses were damaged in Padang."),
]


def _articles() -> list[Article]:
    return [Article(url=f"https://news.example/{i}", title=t, text=x, lang=lang, published=T0 + timedelta(hours=i))
            for i, (lang, t, x) in enumerate(DOCS)]


def _run(store: Store, ahead: bool) -> tuple[list[int], dict[tuple[int, str], bytes]]:
    settings = Settings.load(stories=True)
    service = StoryService(store, settings, replay=False)
    assert service.bridging and service.route("sv") == FALLBACK_MODEL
    arts = _articles()
    readies: list = [None] * len(arts)
    if ahead:
        for i, art in enumerate(arts):
            prepare(art, settings)
            arts[i] = pickle.loads(pickle.dumps(art))  # as from a worker process
            readies[i] = take(arts[i])
            assert readies[i] is not None and take(arts[i]) is None
    calls: list[int] = []
    embedders = (service.embedder, service._fallback_embedder())
    if ahead:  # the service embeds nothing itself (the embedders are shared: restored below)
        for emb in embedders:
            emb.embed = lambda texts, _calls=calls: _calls.append(len(texts))  # type: ignore[method-assign]
    try:
        sids = [service.add(store.add_article(art), ready=ready) for art, ready in zip(arts, readies)]
    finally:
        for emb in embedders:
            emb.__dict__.pop("embed", None)
    assert not calls
    ids = [a.id for a in store.list_articles(limit=100)]
    vectors = {}
    for i in ids:
        for model in (service.model, FALLBACK_MODEL, TITLE_MODEL):
            blob = store.get_embedding(i, model)
            if blob is not None:
                vectors[(i, model)] = blob
    return sids, vectors


def test_vectors_ahead_equal_vectors_computed_by_the_service(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'a.db'}") as a, open_store(f"sqlite:///{tmp_path / 'b.db'}") as b:
        sids_a, vec_a = _run(a, ahead=False)
        sids_b, vec_b = _run(b, ahead=True)
    assert sids_a == sids_b
    assert sids_a[0] == sids_a[4] != sids_a[2]  # the two English quake reports: one story
    assert vec_a == vec_b  # byte for byte, same keys
    assert any(m == FALLBACK_MODEL for _, m in vec_a) and any(m == TITLE_MODEL for _, m in vec_a)


def test_vectors_of_another_text_are_not_used(store: Store) -> None:
    settings = Settings.load(stories=True)
    service = StoryService(store, settings, replay=False)
    art = _articles()[0]
    ready = prepare(art, settings)
    art.rights = {"tdm_reserved": True}  # found once the store was asked: the headline alone
    stored = store.add_article(art)
    service.add(stored, ready=ready)
    got = store.get_embedding(stored.id, service.model)  # type: ignore[arg-type]
    assert got is not None and got != ready.vector.astype("float32").tobytes()
    expect = service.embed([stored])[0]
    assert got == expect.astype("float32").tobytes()
