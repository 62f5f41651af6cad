"""Texts shared by the lineage tests: an English report, its Italian translation, an English
rewrite of it and an independent French one."""

EN = ("Boeing lost a 40 billion dollar tanker contract to Northrop Grumman and EADS on Friday, "
      "the United States Air Force said. The deal covers 179 aircraft delivered at 15 a year. "
      "Analyst Paul Nesbit said repair work could push the value to 100 billion over fifty years. "
      "Boeing said it would study the decision before deciding whether to protest it.")
IT = ("Boeing ha perso venerdì un contratto da 40 miliardi di dollari per aerei cisterna a favore di "
      "Northrop Grumman ed EADS, ha detto la United States Air Force. L'accordo copre 179 aerei "
      "consegnati a 15 all'anno. L'analista Paul Nesbit ha detto che la manutenzione potrebbe portarne "
      "il valore a 100 miliardi. Boeing studierà la decisione.")
REWRITE = ("The United States Air Force on Friday gave a 40 billion dollar tanker contract to Northrop "
           "Grumman and EADS, a blow for Boeing. The deal covers 179 aircraft delivered at 15 a year. "
           "Boeing executives were stunned and may appeal, people familiar with the matter said.")
OTHER_FR = "Court texte en français sur le même sujet, écrit indépendamment, avec Boeing."
