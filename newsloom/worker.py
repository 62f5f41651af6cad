"""Imported once by the fork server of the extraction workers (``parallel.ordered_map``): loads
the extraction stack and the language model, so every worker forked from it starts warm."""

from newsloom import pipeline  # noqa: F401
from newsloom.analyse import language
from newsloom.dedupe import Deduper  # noqa: F401
from newsloom.extract import html  # noqa: F401

language.detect_article("warm", "The language model is loaded once, in the fork server.")
