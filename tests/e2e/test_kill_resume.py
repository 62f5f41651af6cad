"""kill -9 during `newsloom ingest` at random moments, then the same command to the end: the store
equals an uninterrupted run's (articles, stories, lineage marks), and no worker process outlives
the killed parent. On SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import psutil

from newsloom.store import open_store

# Four events, each reported in four languages on two days (and one wire copy each), written
# out of date order in the file, as an archive or a crawl would hand them over.
EVENTS = {
    "flood": ("Danube", "Vienna", "4,200", {
        "en": "Floods on the {p} forced {n} people from their homes near {c} after three days of rain.",
        "es": "Las inundaciones del {p} obligaron a {n} personas a dejar sus casas cerca de {c} tras tres días de lluvia.",
        "fr": "Les inondations du {p} ont forcé {n} personnes à quitter leur maison près de {c} après trois jours de pluie.",
        "de": "Das Hochwasser der {p} hat {n} Menschen bei {c} nach drei Tagen Regen aus ihren Häusern vertrieben.",
    }),
    "strike": ("Lufthansa", "Frankfurt", "1,100", {
        "en": "A pilots' strike at {p} cancelled {n} flights at {c} airport, stranding thousands of travellers.",
        "es": "Una huelga de pilotos de {p} canceló {n} vuelos en el aeropuerto de {c} y dejó varados a miles de viajeros.",
        "fr": "Une grève des pilotes de {p} a annulé {n} vols à l'aéroport de {c}, bloquant des milliers de voyageurs.",
        "de": "Ein Pilotenstreik bei {p} hat am Flughafen {c} {n} Flüge ausfallen lassen und Tausende Reisende gestrandet.",
    }),
    "election": ("Kowalski", "Warsaw", "52.4", {
        "en": "{p} won the presidential run-off in {c} with {n} percent of the vote, the electoral commission said.",
        "es": "{p} ganó la segunda vuelta presidencial en {c} con el {n} por ciento de los votos, dijo la comisión electoral.",
        "fr": "{p} a remporté le second tour de la présidentielle à {c} avec {n} % des voix, selon la commission électorale.",
        "de": "{p} hat die Stichwahl um das Präsidentenamt in {c} mit {n} Prozent der Stimmen gewonnen, so die Wahlkommission.",
    }),
    "telescope": ("Kepler-452", "Chile", "1,400", {
        "en": "Astronomers in {c} found water vapour around the planet {p}, some {n} light years from Earth.",
        "es": "Astrónomos en {c} hallaron vapor de agua alrededor del planeta {p}, a unos {n} años luz de la Tierra.",
        "fr": "Des astronomes au {c} ont trouvé de la vapeur d'eau autour de la planète {p}, à quelque {n} années-lumière de la Terre.",
        "de": "Astronomen in {c} haben Wasserdampf um den Planeten {p} gefunden, rund {n} Lichtjahre von der Erde entfernt.",
    }),
}
MORE = {
    "en": "Officials gave more details on the second day and said the situation would be reviewed again on Friday.",
    "es": "Las autoridades dieron más detalles el segundo día y dijeron que la situación se revisará de nuevo el viernes.",
    "fr": "Les autorités ont donné plus de détails le deuxième jour et ont dit que la situation serait revue vendredi.",
    "de": "Die Behörden nannten am zweiten Tag weitere Einzelheiten und wollen die Lage am Freitag erneut prüfen.",
}

LATER = {
    "en": "Insurers and unions were to meet the ministers at noon; the talks could last into the night.",
    "es": "Aseguradoras y sindicatos se reunirán con los ministros al mediodía; las conversaciones podrían durar hasta la noche.",
    "fr": "Assureurs et syndicats devaient rencontrer les ministres à midi ; les discussions pourraient durer jusqu'à la nuit.",
    "de": "Versicherer und Gewerkschaften wollten mittags mit den Ministern sprechen; die Gespräche könnten bis in die Nacht dauern.",
}


def corpus(path: Path) -> int:
    rows = []
    for e, (event, (p, c, n, lines)) in enumerate(EVENTS.items()):
        for lang, line in lines.items():
            lead = line.format(p=p, c=c, n=n)
            for day in range(2):
                text = " ".join([lead, MORE[lang]] if day == 0 else [MORE[lang], lead, LATER[lang]])
                rows.append({"url": f"https://news.example/{lang}/{event}/{day}", "lang": lang,
                             "title": lead.split(",")[0][:90], "text": text,
                             "date": f"2025-0{e + 3}-1{day}T0{lang.__len__()}:00:00+00:00"})
        copy = dict(rows[-8])  # a wire copy of the English first report, on another site
        copy["url"] = f"https://wire.example/{event}"
        rows.append(copy)
    random.Random(7).shuffle(rows)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def snapshot(db: str) -> list[tuple]:
    with open_store(db) as store:
        arts = list(store.iter_articles())
        url = {a.id: a.url for a in arts}
        return sorted((a.url, url.get(a.story_id), a.lineage, url.get(a.lineage_of), a.duplicate_of is not None)
                      for a in arts)


def stored(db: str) -> int:
    try:
        with open_store(db) as store:
            return store.count_articles()
    except Exception:  # noqa: BLE001 - the store may not exist yet, or be mid-migration
        return 0


def ingest(db: str, path: Path, env: dict[str, str]) -> subprocess.Popen:
    # output to files, not pipes: a pipe would keep the test waiting on any process holding it
    log = path.with_suffix(".log").open("a")
    return subprocess.Popen([sys.executable, "-m", "newsloom", "ingest", str(path), "--db", db],
                            stdout=log, stderr=subprocess.STDOUT, text=True, env=env)


def output(path: Path) -> str:
    return path.with_suffix(".log").read_text()


def test_kill_9_at_random_moments_then_resume_gives_the_uninterrupted_store(db: str, tmp_path: Path) -> None:
    path = tmp_path / "archive.jsonl"
    n = corpus(path)
    # two extraction workers even for this small input, so the kills also hit a process pool
    env = {**os.environ, "NEWSLOOM_WORKERS": "2"}
    whole = f"sqlite:///{tmp_path / 'whole.db'}"
    done = ingest(whole, path, env)
    assert done.wait(timeout=300) == 0, output(path)
    reference = snapshot(whole)
    assert len(reference) == n and all(story for _, story, *_ in reference)

    rng = random.Random(2026)
    survivors: list[psutil.Process] = []
    kills = 0
    # ten moments spread over the work: each run is killed once the store holds its target
    # count of articles, a random fraction of a second later (mid-commit, mid-embedding...)
    for target in sorted(rng.sample(range(1, n), 10)):
        proc = ingest(db, path, env)
        deadline = time.monotonic() + 180
        while proc.poll() is None and stored(db) < target and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.3))
        children = []
        try:
            children = psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            pass
        if proc.poll() is None:
            proc.kill()
            kills += 1
        proc.wait(timeout=60)
        deadline = time.monotonic() + 10
        alive = children
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [c for c in alive if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
        survivors += alive
    for c in survivors:
        c.kill()
    assert not survivors, f"{len(survivors)} worker process(es) outlived their killed parent"
    print(f"killed {kills} of 10 runs")
    assert kills >= 8, f"only {kills} of 10 runs were still working when killed"

    last = ingest(db, path, env)
    assert last.wait(timeout=300) == 0 and "Traceback" not in output(path), output(path)
    assert snapshot(db) == reference

