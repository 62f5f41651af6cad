"""HTML / text -> clean Article: main text and metadata, cleanup rules, embeds, captions, copies.

``extract(raw)`` is the entry point; ``newsloom.extract.cleanup.cleanup(article)`` re-runs the
cleanup rules on a stored article from its ``raw_text``.
"""

from newsloom.extract.cleanup import CleanResult, clean_text
from newsloom.extract.copies import CopyVerdict, detect_copy, mark_copy
from newsloom.extract.decode import decode
from newsloom.extract.html import extract, parse_date

__all__ = [
    "CleanResult",
    "CopyVerdict",
    "clean_text",
    "decode",
    "detect_copy",
    "extract",
    "mark_copy",
    "parse_date",
]
