"""The stories service with two vector spaces (real embedders): an article routed to e5-small
joins the story its USE-m3 counterparts started, the reason is recorded, the embeddings are
stored under their model keys, and replay and rebuild give what streaming gave. Also lineage in
a story too big to re-mark whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from newsloom.config import Settings
from newsloom.models import Article
from newsloom.store.base import Store
from newsloom.stories.naming import describe_story
from newsloom.stories.service import _LINEAGE_MAX, FALLBACK_MODEL, TITLE_MODEL, StoryService

T0 = datetime(2026, 11, 17, 8, tzinfo=UTC)
QUAKE_EN = ("Earthquake of magnitude 6.8 strikes Sumatra, killing 12",
            "A magnitude 6.8 earthquake struck off the west coast of Sumatra on Tuesday, killing at least 12 "
            "people and damaging more than 300 houses in Padang, Indonesia's disaster agency BNPB said. "
            "The quake hit at a depth of 25 kilometres. No tsunami warning was issued.")
QUAKE_ES = ("Un terremoto de magnitud 6,8 sacude Sumatra y deja 12 muertos",
            "Un terremoto de magnitud 6,8 sacudió el martes la costa oeste de Sumatra y dejó al menos 12 "
            "muertos y más de 300 casas dañadas en Padang, según la agencia de desastres de Indonesia BNPB. "
            "El sismo se produjo a 25 kilómetros de profundidad. No se emitió alerta de tsunami.")
QUAKE_ES_2 = ("Sumatra: 12 muertos y 300 casas dañadas por el sismo de magnitud 6,8 en Padang",
              "La agencia BNPB de Indonesia elevó a 12 los muertos del terremoto de magnitud 6,8 que sacudió "
              "el martes la costa oeste de Sumatra. Más de 300 casas resultaron dañadas en Padang. El sismo "
              "tuvo su epicentro a 25 kilómetros de profundidad y no hubo alerta de tsunami.")
VOTE_EN = ("Chile's senate approves pension reform after 10 years of debate",
           "Chile's senate on Wednesday approved a sweeping pension reform by 30 votes to 19, ending a decade "
           "of debate over the private pension system created in 1981. Labour minister Jeannette Jara said "
           "the reform would raise the lowest pensions by 25 percent. The bill now goes to President Boric.")
VOTE_ES = ("El Senado de Chile aprueba la reforma de pensiones tras 10 años de debate",
           "El Senado de Chile aprobó el miércoles una amplia reforma de pensiones por 30 votos contra 19, "
           "poniendo fin a una década de debate sobre el sistema privado creado en 1981. La ministra del "
           "Trabajo, Jeannette Jara, dijo que la reforma elevará las pensiones más bajas en un 25 por ciento. "
           "El proyecto pasa ahora al presidente Boric.")


def settings(store: Store) -> Settings:
    return Settings.load(stories=True)


def stored(store: Store, key: str, lang: str, doc: tuple[str, str], hours: float) -> Article:
    return store.add_article(Article(url=f"https://news.example/{key}", title=doc[0], text=doc[1], lang=lang,
                                     published=T0 + timedelta(hours=hours)))


def test_forced_language_joins_across_spaces_and_rebuild_replay_agree(store: Store) -> None:
    service = StoryService(store, settings(store), replay=False, force_fallback=["es"])
    assert service.bridging and service.route("es") == FALLBACK_MODEL and service.route("en") == service.model
    arts = [stored(store, "q-en", "en", QUAKE_EN, 0), stored(store, "v-en", "en", VOTE_EN, 1),
            stored(store, "q-es", "es", QUAKE_ES, 2), stored(store, "v-es", "es", VOTE_ES, 3)]
    sids = [service.add(a) for a in arts]
    assert sids[0] != sids[1] and sids[2] == sids[0] and sids[3] == sids[1]
    q_es = store.get_article(arts[2].id)  # type: ignore[arg-type]
    assert any("across embedding spaces (e5-small -> use-m3)" in n for n in q_es.notes)
    assert store.get_embedding(q_es.id, FALLBACK_MODEL) is not None  # type: ignore[arg-type]
    assert store.get_embedding(q_es.id, service.model) is None  # type: ignore[arg-type]
    assert all(store.get_embedding(a.id, TITLE_MODEL) is not None for a in arts)  # type: ignore[arg-type]
    story = store.get_story(sids[0])
    assert set(story.languages) == {"en", "es"} and story.article_count == 2

    # a second Spanish report joins the Spanish part of the story in its own space
    more = stored(store, "q-es-2", "es", QUAKE_ES_2, 4)
    assert service.add(more) == sids[0]
    assert not any("across embedding spaces" in n for n in store.get_article(more.id).notes)  # type: ignore[arg-type]
    streamed = {a.id: a.story_id for a in store.iter_articles()}

    # start-up replay rebuilds the same memory: the next report lands where streaming put it
    replayed = StoryService(store, settings(store))  # no forcing: stored routing is followed
    assert replayed.clusterer.story_of(more.id) == sids[0]  # type: ignore[arg-type]
    # rebuild reuses the stored embeddings (whatever the routing is now) and gives the same
    rebuilt = StoryService(store, settings(store), replay=False)
    assert rebuilt.rebuild() == 5
    assert {a.id: a.story_id for a in store.iter_articles()} == streamed


def test_no_forcing_keeps_one_space(store: Store) -> None:
    service = StoryService(store, settings(store), replay=False)
    arts = [stored(store, "q-en", "en", QUAKE_EN, 0), stored(store, "q-es", "es", QUAKE_ES, 1)]
    assert service.add(arts[0]) == service.add(arts[1])
    assert store.get_embedding(arts[1].id, service.model) is not None  # type: ignore[arg-type]


def test_late_copy_of_the_first_report_in_a_big_story(store: Store) -> None:
    """Past _LINEAGE_MAX members a new article is still compared with the story's earliest
    reports: a late wire copy of the first report is marked as its copy, and the marks of the
    other members are left as they are."""
    service = StoryService(store, settings(store), replay=False)
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(500)]
    first = store.add_article(Article(url="https://paper.example/first", title=QUAKE_EN[0], text=QUAKE_EN[1],
                                      lang="en", published=T0, lineage="first"))
    sid = first.id
    assert sid is not None
    store.save_story(describe_story([first], story_id=sid))
    first.story_id = sid
    store.update_article(first)
    n = _LINEAGE_MAX + 20
    for i in range(n):
        text = " ".join(rng.choice(words, 60))
        store.add_article(Article(url=f"https://other.example/{i}", title=f"Report {i}", text=text, lang="en",
                                  published=T0 + timedelta(minutes=10 + i), story_id=sid))
    late = store.add_article(Article(url="https://wire.example/late", title=QUAKE_EN[0], text=QUAKE_EN[1],
                                     lang="en", published=T0 + timedelta(days=1), story_id=sid))
    assert late.id is not None and len(store.story_articles(sid)) == n + 2
    service._refresh(sid, new=late)
    got = store.get_article(late.id)
    assert (got.lineage, got.lineage_of) == ("copy", sid)
    assert store.get_article(sid).lineage == "first"
    assert store.get_story(sid).article_count == n + 2


def test_bridges_can_be_switched_off(store: Store) -> None:
    s = Settings.load(stories=True, story_bridges=False)
    service = StoryService(store, s, replay=False, force_fallback=["es"])
    assert not service.bridging
    arts = [stored(store, "q-en", "en", QUAKE_EN, 0), stored(store, "q-es", "es", QUAKE_ES, 2)]
    sids = [service.add(a) for a in arts]
    # each space keeps to itself, and no title vectors are computed or stored
    assert sids[0] != sids[1]
    assert all(store.get_embedding(a.id, TITLE_MODEL) is None for a in arts)  # type: ignore[arg-type]


def test_boilerplate_sentences_do_not_reach_the_story_vector(store: Store) -> None:
    service = StoryService(store, settings(store), replay=False)
    banner = ("Wir verwenden auf unserer Webseite Cookies und pseudonyme Analysetechniken, um unseren "
              "Internetauftritt zu verbessern. Bitte aktivieren Sie JavaScript in Ihrem Browser. ")
    clean = Article(url="https://news.example/a", title=VOTE_EN[0], text=VOTE_EN[1], lang="en")
    dirty = Article(url="https://news.example/b", title=VOTE_EN[0], text=banner + VOTE_EN[1], lang="en")
    a, b = service.embed([clean, dirty])
    assert float(a @ b) > 0.999
