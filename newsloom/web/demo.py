"""A small world for the reader's tests and screenshots, stored through the real pipeline
(analyse, dedupe, store, stories): a few events reported by outlets in five languages and
countries, a wire copy, and optionally the Wikinews MEANTIME corpus (480 documents, 120 stories
in en/es/it/nl) when it is present.

``python -m newsloom.web.demo --db sqlite:///demo.db [--meantime PATH]``
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from newsloom.config import Settings
from newsloom.models import Article, Feed, Source
from newsloom.store import open_store
from newsloom.store.base import Store

OUTLETS = [  # name, home page, country, language
    ("Daily Planet", "https://planet.example.com/", "US", "en"),
    ("Folha Exemplo", "https://folha.example.com.br/", "BR", "pt"),
    ("El Diario Ejemplo", "https://diario.example.es/", "ES", "es"),
    ("Le Quotidien", "https://quotidien.example.fr/", "FR", "fr"),
    ("Der Beispielbote", "https://bote.example.de/", "DE", "de"),
    ("Wire Service", "https://wire.example.org/", "GB", "en"),
]

# (event, outlet index, title, text): the same event in several languages
EVENTS = [
    ("quake", 0, "Earthquake of magnitude 6.8 strikes Sumatra, killing 12",
     "A magnitude 6.8 earthquake struck off the west coast of Sumatra on Tuesday, killing at least 12 people "
     "and damaging more than 300 houses in Padang, Indonesia's disaster agency BNPB said. The quake hit at a "
     "depth of 25 kilometres. \"We felt a very strong shaking and everyone ran outside,\" said Andi Saputra, "
     "a resident of Padang. No tsunami warning was issued."),
    ("quake", 1, "Terremoto de magnitude 6,8 atinge Sumatra e mata 12 pessoas",
     "Um terremoto de magnitude 6,8 atingiu a costa oeste de Sumatra na terça-feira, matando pelo menos 12 "
     "pessoas e danificando mais de 300 casas em Padang, segundo a agência de desastres da Indonésia BNPB. O "
     "tremor ocorreu a 25 quilômetros de profundidade. \"Sentimos um tremor muito forte e todos correram para "
     "fora\", disse Andi Saputra, morador de Padang. Não foi emitido alerta de tsunami."),
    ("quake", 2, "Un terremoto de magnitud 6,8 sacude Sumatra y deja 12 muertos",
     "Un terremoto de magnitud 6,8 sacudió el martes la costa oeste de Sumatra y dejó al menos 12 muertos y "
     "más de 300 casas dañadas en Padang, según la agencia de desastres de Indonesia BNPB. El sismo se produjo "
     "a 25 kilómetros de profundidad. «Sentimos una sacudida muy fuerte y todos salimos corriendo», dijo Andi "
     "Saputra, un vecino de Padang. No se emitió alerta de tsunami."),
    ("quake", 5, "Earthquake of magnitude 6.8 strikes Sumatra, killing 12",
     "A magnitude 6.8 earthquake struck off the west coast of Sumatra on Tuesday, killing at least 12 people "
     "and damaging more than 300 houses in Padang, Indonesia's disaster agency BNPB said. The quake hit at a "
     "depth of 25 kilometres. \"We felt a very strong shaking and everyone ran outside,\" said Andi Saputra, "
     "a resident of Padang. No tsunami warning was issued."),
    ("pension", 0, "Chile's senate approves pension reform after 10 years of debate",
     "Chile's senate on Wednesday approved a sweeping pension reform by 30 votes to 19, ending a decade of "
     "debate over the private pension system created in 1981. Labour minister Jeannette Jara said the reform "
     "would raise the lowest pensions by 25 percent. Employers will add 7 percent of wages to workers' accounts "
     "over nine years. The bill now goes to President Gabriel Boric."),
    ("pension", 2, "El Senado de Chile aprueba la reforma de pensiones tras 10 años de debate",
     "El Senado de Chile aprobó el miércoles una amplia reforma de pensiones por 30 votos contra 19, poniendo "
     "fin a una década de debate sobre el sistema privado creado en 1981. La ministra del Trabajo, Jeannette "
     "Jara, dijo que la reforma elevará las pensiones más bajas en un 25 por ciento. Los empleadores aportarán "
     "un 7 por ciento de los salarios en nueve años. El proyecto pasa ahora al presidente Gabriel Boric."),
    ("pension", 3, "Le Sénat chilien adopte la réforme des retraites après 10 ans de débat",
     "Le Sénat chilien a adopté mercredi une vaste réforme des retraites par 30 voix contre 19, mettant fin à "
     "une décennie de débat sur le système privé créé en 1981. La ministre du Travail Jeannette Jara a déclaré "
     "que la réforme augmentera les plus petites pensions de 25 pour cent. Les employeurs ajouteront 7 pour "
     "cent des salaires sur neuf ans. Le texte part maintenant chez le président Gabriel Boric."),
    ("rail", 4, "Bahnstreik legt Fernverkehr in ganz Deutschland lahm",
     "Ein 48-stündiger Streik der Lokführergewerkschaft GDL hat am Donnerstag den Fernverkehr der Deutschen "
     "Bahn in ganz Deutschland weitgehend lahmgelegt. Nach Angaben der Bahn fielen rund 80 Prozent der "
     "Fernzüge aus. GDL-Chef Claus Weselsky sagte, die Gewerkschaft fordere eine Arbeitszeit von 35 Stunden "
     "bei vollem Lohnausgleich. Pendler in Berlin, Hamburg und München mussten auf Busse ausweichen."),
    ("rail", 3, "Grève des conducteurs de train : le trafic paralysé en Allemagne",
     "Une grève de 48 heures du syndicat des conducteurs de train GDL a largement paralysé jeudi le trafic "
     "grandes lignes de la Deutsche Bahn dans toute l'Allemagne. Selon la Bahn, environ 80 pour cent des trains "
     "grandes lignes ont été annulés. Le chef du GDL, Claus Weselsky, a déclaré que le syndicat réclamait une "
     "semaine de 35 heures sans perte de salaire. Les usagers de Berlin, Hambourg et Munich ont pris le bus."),
]


def add_outlets(store: Store) -> list[Source]:
    """The outlets, each with a feed that answered at its last poll."""
    out = []
    for name, url, country, lang in OUTLETS:
        src = store.find_source(url)
        if src is None:
            src = store.add_source(Source(name=name, url=url, country=country, language=lang))
            now = datetime.now(timezone.utc).replace(microsecond=0)
            store.add_feed(Feed(url=f"{url}rss.xml", source_id=src.id, title=name, last_status="ok",
                                last_fetched=now, next_due=now + timedelta(minutes=15), last_new_items=3))
        out.append(src)
    return out


def fill(store: Store, settings: Settings | None = None, meantime: Path | None = None,
         extra: list[Article] | None = None) -> int:
    """Store the demo world (and MEANTIME, ``extra``) through the pipeline; returns articles
    processed."""
    from newsloom.pipeline import Pipeline

    settings = settings or Settings(db=store.url, workers=1)
    pipe = Pipeline(store, settings)
    if pipe.with_stories:
        pipe.stories  # noqa: B018  start the stories stage (replay, catch-up) before the first article
    sources = add_outlets(store)
    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=20)
    n = 0
    for i, (event, o, title, text) in enumerate(EVENTS):
        src = sources[o]
        slug = f"{event}-{i}"
        art = Article(url=f"{src.url}news/{slug}", title=title, text=text, source_id=src.id,
                      lang=OUTLETS[o][3], published=base + timedelta(hours=i))
        pipe.process_article(art)
        n += 1
    for art in extra or []:
        pipe.process_article(art)
        n += 1
    if meantime is not None and meantime.is_file():
        n += fill_meantime(store, pipe, meantime)
    return n


def fill_meantime(store: Store, pipe: object, path: Path) -> int:
    """MEANTIME: English Wikinews articles and their es/it/nl translations, one outlet per
    language (the translations share the English URL in the corpus: each gets its own)."""
    countries = {"en": "US", "es": "ES", "it": "IT", "nl": "NL"}
    srcs = {}
    for lang, country in countries.items():
        url = f"https://{lang}.wikinews.example.org/"
        srcs[lang] = store.find_source(url) or store.add_source(
            Source(name=f"Wikinews {lang.upper()}", url=url, country=country, language=lang))
    n = 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            lang = row.get("lang") or "en"
            src = srcs.get(lang) or srcs["en"]
            url = row.get("url") or f"https://wikinews.example.org/{row['doc_id']}"
            if lang != "en":
                url += f"&lang={lang}"
            published = datetime.fromisoformat(row["date"]).replace(tzinfo=timezone.utc) if row.get("date") else None
            pipe.process_article(Article(url=url, title=row.get("title"), text=row.get("text") or "",  # type: ignore[attr-defined]
                                         lang=lang, source_id=src.id, published=published, doc_id=row.get("doc_id")))
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--meantime", type=Path, default=None)
    args = ap.parse_args()
    with open_store(args.db) as store:
        print(f"{fill(store, meantime=args.meantime)} articles processed into {args.db}")


if __name__ == "__main__":
    main()
