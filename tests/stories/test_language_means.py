"""e5 vectors lose their language's mean before they are compared (newsloom.stories.langmean)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from newsloom.stories.cluster import ClusterItem, StoryClusterer
from newsloom.stories.langmean import PRIOR_ITEMS, LanguageMeans

E5 = "e5-small"
DIM = 96


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_a_vector_is_centred_by_the_mean_of_its_language_so_far() -> None:
    means = LanguageMeans(prior=0)
    a, b = _unit(np.array([1.0, 1.0, 0.0])), _unit(np.array([1.0, 0.0, 1.0]))
    assert np.array_equal(means.centre(E5, "nl", a), a)  # nothing learned of its language: as it is
    means.learn(E5, "nl", a)
    assert np.allclose(means.centre(E5, "nl", b), _unit(b - a))  # b without the mean so far (a)
    assert means.count(E5, "nl") == 1  # centring learns nothing
    assert np.array_equal(means.centre(E5, "es", b), b)  # another language has its own mean
    means.learn(E5, None, b)
    assert np.array_equal(means.centre(E5, None, b), b) and means.count(E5, "") == 0  # no language: as it is


def test_a_language_with_few_stories_is_centred_a_little() -> None:
    means = LanguageMeans()
    a = _unit(np.array([1.0, 0.0, 0.0]))
    means.learn(E5, "uk", a)
    b = _unit(np.array([0.0, 1.0, 0.0]))
    got = means.centre(E5, "uk-UA", b)  # the region does not make another language
    assert np.allclose(got, _unit(b - a / (1 + PRIOR_ITEMS)))


def _stream(centred: bool, seed: int = 0) -> tuple[StoryClusterer, list[tuple[int, int]]]:
    """30 events, each reported once in Dutch and once in Spanish a day apart, in the e5 space:
    each vector is the event's direction plus a large direction every text of its language
    shares (as e5's are) and noise. Returns the clusterer and (article, event) pairs."""
    rng = np.random.default_rng(seed)
    nl = _unit(rng.normal(size=DIM))
    es = rng.normal(size=DIM)
    lang_dir = {"nl": nl, "es": _unit(es - (es @ nl) * nl)}  # two languages, nothing in common
    cl = StoryClusterer(space_thresholds={E5: 0.60}, language_centred={E5} if centred else (),
                        name_weight=0.0, number_weight=0.0)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    out, aid = [], 0
    for ev in range(30):
        e = _unit(rng.normal(size=DIM))
        for lang in ("nl", "es"):
            aid += 1
            v = _unit(0.6 * e + 0.8 * lang_dir[lang] + 0.12 * rng.normal(size=DIM) / np.sqrt(DIM))
            cl.add(ClusterItem(aid, v, lang=lang, published=t0 + timedelta(days=4 * ev + (lang == "es")),
                               space=E5, n_words=200))
            out.append((aid, ev))
    cl.maintain()
    return cl, out


@pytest.mark.parametrize("seed", [0, 1])
def test_reports_of_one_event_in_two_languages_meet_once_each_language_mean_is_out(seed: int) -> None:
    cl, pairs = _stream(centred=True, seed=seed)
    story = {aid: cl.story_of(aid) for aid, _ in pairs}
    events: dict[int, set[int | None]] = {}
    for aid, ev in pairs:
        events.setdefault(ev, set()).add(story[aid])
    # a language's first reports come before its mean is learned (and it is shrunk while it is
    # made of few): they stay apart; from the twelfth event on each event is one story, and no
    # story ever holds two events
    joined = sum(len(s) == 1 for ev, s in events.items() if ev >= 12)
    assert joined == 18
    assert len({story[a] for a, _ in pairs}) == sum(len(s) for s in events.values())

    plain, pairs = _stream(centred=False, seed=seed)  # the language directions keep them apart
    assert all(plain.story_of(a) != plain.story_of(b) for (a, _), (b, _) in zip(pairs[::2], pairs[1::2]))


def test_the_stories_service_centres_e5_vectors_and_titles_by_language(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from newsloom.config import Settings
    from newsloom.store import open_store
    from newsloom.stories.service import StoryService

    url = f"sqlite:///{tmp_path / 's.db'}"
    with open_store(url) as store:
        svc = StoryService(store, Settings.load(db=url, stories=True), replay=False)
        assert svc.clusterer.language_centred == {E5}
        assert svc.clusterer.centre_titles
        assert "use-m3" not in svc.clusterer.language_centred  # aligned across languages by training


def test_a_burst_in_one_language_does_not_become_that_language_s_mean() -> None:
    """10,000 reports of one event in one language of the e5 space (the issue's burst): were
    every report counted in the language's mean, the mean would become the event and be taken
    out of its own later reports, which then meet nothing (9,911 stories of 10,000 when tried).
    A part's first few reports count, so the burst stays one story and takes in nothing else."""
    rng = np.random.default_rng(9)
    lang = _unit(rng.normal(size=DIM))
    topics = [_unit(rng.normal(size=DIM)) for _ in range(40)]

    def e5(v: np.ndarray) -> np.ndarray:  # a text's direction plus its language's, as e5's are
        return _unit(0.8 * _unit(v) + 0.6 * lang)

    cl = StoryClusterer(space_thresholds={E5: 0.60}, language_centred={E5})
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    burst, others = set(), []
    for i in range(10_000):
        burst.add(cl.add(ClusterItem(i + 1, e5(topics[0] + 0.03 * rng.normal(size=DIM)), lang="uk", space=E5,
                                     published=t0 + timedelta(seconds=20 * i), n_words=120)).story_id)
        if i % 300 == 150:
            k = 1 + len(others)
            others.append(cl.add(ClusterItem(100_000 + k, e5(topics[k] + 0.02 * rng.normal(size=DIM)), lang="uk",
                                             space=E5, published=t0 + timedelta(seconds=20 * i), n_words=120)))
    assert len(burst) == 1
    assert not any(o.story_id in burst for o in others)
    assert cl._lang_means.count(E5, "uk") <= cl.title_members * (1 + len(others))
