"""Sentence-level boilerplate removal before embedding, and the similarity model's link/weights."""

from __future__ import annotations

import numpy as np
import pytest

from newsloom.analyse.boilerplate import (
    boilerplate_sentence,
    boilerplate_start,
    clean_sentences,
    split_sentences,
    strip_boilerplate,
    strip_inline,
)
from newsloom.bench.similarity import _fit_logistic, _predict, split_title
from newsloom.bench import similarity_model as sim
from newsloom.bench.similarity_model import (
    ArticleRepr,
    apply_link,
    build_reprs,
    model_inputs,
    model_link,
    model_weights,
    story_similarity,
)

# Site furniture as news pages print it, one language per line.
BOILERPLATE = [
    ("de", "Wir verwenden auf unserer Webseite Cookies und pseudonyme Analysetechniken, um unseren "
           "Internetauftritt möglichst benutzerfreundlich zu gestalten."),
    ("de", "Um die Funktion unserer Website zu verbessern und relevante Werbung anzuzeigen, sammeln "
           "wir technische anonymisierte Informationen über Sie."),
    ("de", "Anmeldung Noch nicht bei der Beispiel Zeitung?"),
    ("fr", "Veuillez vous connecter !"),
    ("fr", "Vous n'avez pas encore accès aux archives ?"),
    ("fr", "Inscrivez-vous maintenant gratuitement pour continuer à lire."),
    ("en", "Sign up to FREE daily email alerts from Example News - Subscribe"),
    ("en", "Get an annual digital subscription for only $20."),
    ("en", "Your browser does not support the video player."),
    ("en", "Follow Example News on Twitter, Instagram and Facebook."),
    ("es", "Por favor revise nuestra Política de Privacidad."),
    ("es", "Suscríbete a nuestro boletín para recibir las noticias."),
    ("it", "Iscriviti alla nostra newsletter per ricevere altre storie come questa."),
    ("tr", "Sitemizi kullanmaya devam ederek çerezleri kullanmamıza izin vermiş oluyorsunuz."),
    ("pl", "Jeśli chcesz połączyć się z nami zaznacz \"NIE JESTEM ROBOTEM\"."),
    ("pl", "Twoje dane są bezpieczne, zgodę można wycofać na podstronie polityki prywatności."),
    ("ru", "Все права защищены."),
    ("de", "Bei Problemen mit der Wiedergabe des Videos aktivieren Sie bitte JavaScript"),
]

# Real news sentences that mention the same words.
NEWS = [
    "The European Court ruled on Tuesday that websites must ask before setting cookies.",
    "Netflix added 8.8 million subscribers in the last quarter, the company said.",
    "Die Regierung will die Verarbeitung von Daten neu regeln, sagte die Ministerin.",
    "Le journal compte désormais 200 000 abonnés numériques, selon son directeur.",
    "La policía pidió a los vecinos que compartan cualquier información sobre el incendio.",
    "Twitter suspended the account after the post was shared thousands of times.",
    "vCenter email alerts stopped working after the update, administrators reported.",
]


@pytest.mark.parametrize(("lang", "sentence"), BOILERPLATE)
def test_boilerplate_sentences_are_recognised(lang: str, sentence: str) -> None:
    assert boilerplate_sentence(sentence), f"{lang}: {sentence}"


@pytest.mark.parametrize("sentence", NEWS)
def test_news_sentences_are_kept(sentence: str) -> None:
    assert boilerplate_sentence(sentence) is None
    assert clean_sentences(sentence) == [sentence]


def test_strip_boilerplate_keeps_the_article_around_a_banner() -> None:
    text = (
        "Ein Erdbeben der Stärke 7,1 hat den Süden Mexikos erschüttert. "
        "Wir verwenden auf unserer Webseite Cookies, um unser Angebot zu verbessern. "
        "Nähere Informationen finden Sie in unseren Datenschutzbestimmungen.\n"
        "Mindestens 20 Menschen kamen ums Leben, sagte der Präsident."
    )
    assert strip_boilerplate(text) == (
        "Ein Erdbeben der Stärke 7,1 hat den Süden Mexikos erschüttert. "
        "Mindestens 20 Menschen kamen ums Leben, sagte der Präsident."
    )
    assert strip_boilerplate("") == ""


def test_inline_photo_credits_and_share_labels_are_removed() -> None:
    assert strip_inline(
        "Foto: Frank Rumpenhorst/dpa Jetzt teilen: Jetzt teilen: FRANKFURT - Hessens Kultusminister will prüfen."
    ) == "FRANKFURT - Hessens Kultusminister will prüfen."
    assert strip_inline("Source: Pixabay New research suggests that dark chocolate helps.") == (
        "New research suggests that dark chocolate helps."
    )
    assert strip_inline("(Image source: Bloomberg) Apple used chips designed elsewhere.") == (
        "Apple used chips designed elsewhere."
    )
    assert strip_inline("© picture alliance/dpa Die Raumsonde fliegt zum Merkur.") == "Die Raumsonde fliegt zum Merkur."
    # A sentence that only mentions a photo is left alone.
    assert strip_inline("The photo shows the minister in Kyiv.") == "The photo shows the minister in Kyiv."
    # A credit on its own leaves nothing, so the sentence disappears.
    assert clean_sentences("Quake kills 20. Foto: dpa/Thomas Kraus") == ["Quake kills 20."]


def test_split_sentences() -> None:
    assert split_sentences("First one. Second one!  Third\nFourth? Fifth") == [
        "First one.", "Second one!", "Third", "Fourth?", "Fifth",
    ]
    # Sentences a scraper glued together, Arabic question marks, and runs without punctuation.
    assert split_sentences("Er kam mit.Die Polizei") == ["Er kam mit.", "Die Polizei"]
    assert split_sentences("هل هذا صحيح؟ نعم") == ["هل هذا صحيح؟", "نعم"]
    long = split_sentences("word " * 200)
    assert len(long) >= 2 and all(len(s) <= 400 for s in long)


def test_headline_glued_to_a_banner_is_cut() -> None:
    glued = ("Schweiz schränkt Export von Schutzausrüstung ein Um die Funktion unserer Website zu "
             "verbessern, sammeln wir technische Informationen über Sie und so weiter und so fort")
    assert boilerplate_start(glued) == len("Schweiz schränkt Export von Schutzausrüstung ein ")
    assert split_title(glued)[0] == "Schweiz schränkt Export von Schutzausrüstung ein"
    assert boilerplate_start("Quake hits Mexico") is None


def test_build_reprs_ignore_a_cookie_banner() -> None:
    title = "Sismo de magnitud 7,1 sacude el sur de México"
    body = ("Un sismo de magnitud 7,1 sacudió el estado de Oaxaca, en el sur de México; murieron al "
            "menos 20 personas, dijo el presidente.")
    banner = ("Utilizamos cookies propias y de terceros para mejorar nuestros servicios. "
              "Si continúa navegando, consideramos que acepta su uso. Por favor revise nuestra "
              "Política de Privacidad. ")
    plain, bannered, raw = build_reprs(
        [(title, body, "es", None), (title, banner + body, "es", None)]
    ) + build_reprs([(title, banner + body, "es", None)], clean=False)
    assert float(np.dot(plain.vectors["use-m3"], bannered.vectors["use-m3"])) == pytest.approx(1.0, abs=1e-5)
    assert float(np.dot(plain.vectors["use-m3"], raw.vectors["use-m3"])) < 0.99
    assert plain.entities == bannered.entities


# --- the model: link and weights -------------------------------------------------------------


def test_every_model_has_one_weight_per_input_and_a_known_link() -> None:
    rng = np.random.default_rng(0)
    dims = {"use-m3": 512, "use-m3:title": 512, "e5-small": 384, "e5-small:title": 384}

    def rand_repr() -> ArticleRepr:
        vecs = {}
        for k, d in dims.items():
            v = rng.normal(size=d).astype(np.float32)
            vecs[k] = v / np.linalg.norm(v)
        return ArticleRepr(vectors=vecs, entities={"PER": frozenset({"putin"}), "ORG": frozenset()})

    a, b = rand_repr(), rand_repr()
    for i in range(len(sim._MODELS)):
        found = model_inputs(a, b, index=i)
        assert found is not None and found[0] == i
        intercept, weights = model_weights(i)
        assert len(weights) == len(found[1])
        assert model_link(i) in ("logistic", "clip")
    # With every vector shared, the richest model (quality mode) scores the pair.
    found = model_inputs(a, b)
    assert found is not None and found[0] == 0
    intercept, weights = model_weights(0)
    z = intercept + sum(w * x for w, x in zip(weights, found[1]))
    assert story_similarity(a, b) == pytest.approx(apply_link(model_link(0), z))


def test_links() -> None:
    assert apply_link("logistic", 0.0) == 0.5
    assert 0.0 < apply_link("logistic", -1e6) < 1e-20 and apply_link("logistic", 1e6) == 1.0
    assert apply_link("logistic", 1.0) > apply_link("logistic", 0.5)
    assert apply_link("clip", 1.7) == 1.0 and apply_link("clip", -0.2) == 0.0 and apply_link("clip", 0.3) == 0.3


def test_fit_logistic_recovers_weights() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, size=(400, 3))
    true = np.array([-2.0, 3.0, 1.0, -1.5])
    t = 1 / (1 + np.exp(-(np.c_[np.ones(400), x] @ true)))
    w = _fit_logistic(x, t, lam=0.0)
    assert np.allclose(w, true, atol=1e-3)
    assert np.allclose(_predict(w, x, "logistic"), t, atol=1e-4)
