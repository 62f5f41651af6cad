"""HTML text -> lxml tree, as ``trafilatura.utils.load_html`` does it but with a cheaper parser.

Every time lxml hands an element to Python it asks the document's parser which class to use.
``lxml.html``'s parser answers through a Python method (``HtmlElementClassLookup.lookup``), called
~2,600 times per AEB page by trafilatura, htmldate and newsloom together: ~2 ms of ~22 ms.
This parser answers in C (``ElementDefaultClassLookup``) with the same ``HtmlElement`` /
``HtmlComment`` classes; only the form-specific subclasses (``FormElement``, ``InputElement``,
...) are lost, which none of the extraction code uses. ``load_html`` hard-codes its module parser,
so its few steps are repeated here with trafilatura's own helpers; mutating trafilatura's global
parser instead would change it for every other user in the process.
"""

from __future__ import annotations

import logging

from lxml import etree
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    fromstring,
)
from trafilatura.utils import is_dubious_html, repair_faulty_html

LOGGER = logging.getLogger(__name__)


def _parser() -> HTMLParser:
    # the options of trafilatura.utils.HTML_PARSER (pinned trafilatura 2.3.1)
    parser = HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=HtmlElement,
            comment=HtmlComment,
            pi=HtmlProcessingInstruction,
            entity=HtmlEntity,
        )
    )
    return parser


_PARSER = _parser()


def _from_bytes(html: str) -> HtmlElement | None:
    try:
        return fromstring(html.encode("utf8", "surrogatepass"), parser=_PARSER)
    except Exception as exc:  # noqa: BLE001 - libxml2 rejects malformed input in assorted ways
        LOGGER.debug("lxml could not parse the page as bytes either (%s)", exc)
    return None


def parse_html(html: str) -> HtmlElement | None:
    """The page's root element, or None when it is not (well-formed enough) HTML.

    Same steps and results as ``trafilatura.utils.load_html`` for a ``str``.
    """
    beginning = html[:50].lower()
    dubious = is_dubious_html(beginning)
    html = repair_faulty_html(html, beginning)
    tree: HtmlElement | None = None
    fallback = False
    try:
        tree = fromstring(html, parser=_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree = _from_bytes(html)
        fallback = True
    except Exception as exc:  # noqa: BLE001 - see _from_bytes
        LOGGER.debug("lxml could not parse the page (%s)", exc)
    if (tree is None or len(tree) < 1) and not fallback:
        tree = _from_bytes(html)
    if tree is not None and dubious and len(tree) < 2:
        return None
    return tree
