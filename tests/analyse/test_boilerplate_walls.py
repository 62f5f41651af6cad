"""Boilerplate the SemEval-2022 dev pages showed the sentence rules missing, and wall pages."""

from __future__ import annotations

import pytest

from newsloom.analyse.boilerplate import boilerplate_sentence, clean_sentences, strip_boilerplate

MISSED = [
    ("en", "We'll send breaking news and news alerts to you as they happen!"),
    ("en", "Sign up!"),
    ("en", "We apologize, but this video has failed to load."),
    ("en", "tap here to see other videos from our team."),
    ("en", "Visit Business Insider's homepage for more stories."),
    ("en", "To access the full text of the article, click here"),
    ("en", "MENAFN provides the information “as is” without warranty of any kind."),
    ("en", "Your subscription to the Atlanta Journal-Constitution funds in-depth reporting."),
    ("fr", "Une fois connecté, vous pouvez lire le contenu de nos archives numériques."),
    ("fr", "Les utilisateurs enregistrés peuvent rechercher des histoires jusqu'en 2008."),
    ("fr", "Ne ratez aucun article de Telestar.fr en recevant directement une alerte via Messenger"),
    ("de", "Mehr Nachrichten aus Deutschland und der Welt lesen Sie hier."),
    ("it", "Grazie per sostenere il vero giornalismo"),
    ("ru", "Ваша подписка на Atlanta Journal-Constitution позволяет получать подробные отчеты."),
    ("ar", 'تعمل الشركة على توفير المعلومات "كما هي" دون أي تعهدات أو ضمانات'),
    ("ar", "لأية استفسارات يرجى التواصل مع مزود المقال المذكور أعلاه."),
]

NEWS = [
    "The police said the suspect clicked on a link in an e-mail before the attack.",
    "The company said it would keep the plant as is, without any new investment, until 2022.",
    "Die Polizei bittet Zeugen, sich zu melden; weitere Hinweise nimmt jede Dienststelle entgegen.",
    "Les utilisateurs de Twitter ont partagé la vidéo des milliers de fois.",
]


@pytest.mark.parametrize(("lang", "sentence"), MISSED)
def test_missed_boilerplate_is_now_recognised(lang: str, sentence: str) -> None:
    assert boilerplate_sentence(sentence), f"{lang}: {sentence}"


@pytest.mark.parametrize("sentence", NEWS)
def test_news_sentences_are_kept(sentence: str) -> None:
    assert boilerplate_sentence(sentence) is None


def test_click_here_in_a_long_sentence_keeps_the_sentence() -> None:
    s = ("The festival runs from January to April on weekdays from noon to 11 pm at the metro "
         "station grounds, with stalls from 40 countries; for details, click here and see the map.")
    assert boilerplate_sentence(s) is None


def test_a_prompt_glued_into_a_lead_is_cut_out_not_the_lead() -> None:
    text = "دفن جثمان سائق الإسعاف في مقابر أسرته اشترك لتصلك أهم الأخبار انتهت هيئة الإسعاف المصرية"
    assert strip_boilerplate(text) == "دفن جثمان سائق الإسعاف في مقابر أسرته انتهت هيئة الإسعاف المصرية"


def test_a_log_in_wall_is_dropped_whole() -> None:
    wall = (
        "Veuillez vous connecter !\n\nVous n'avez pas encore accès aux archives ?\n\n"
        "Inscrivez-vous maintenant gratuitement pour continuer à lire.\n\n"
        "Veuillez vérifier les champs obligatoires marqués en rouge.\n\nVotre e-mail Suivant\n\n"
        "La Gazette propose plusieurs millions d'articles sur son site Internet."
    )
    assert clean_sentences(wall) == []
    assert strip_boilerplate(wall) == ""


def test_an_article_under_a_long_banner_keeps_its_text() -> None:
    text = (
        "Article content\n\nBERLIN — May is the month of the annual Bavarian fairs.\n\n"
        "This year the coronavirus has put a stop to all large gatherings.\n\n"
        "We apologize, but this video has failed to load.\n\ntap here to see other videos from our team.\n\n"
        "A pub owner in Landshut built a drive-through fair instead."
    )
    kept = clean_sentences(text)
    assert kept[0].startswith("BERLIN") and kept[-1].startswith("A pub owner")
    assert len(kept) == 3
