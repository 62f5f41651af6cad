"""Analysis of extracted articles: language identification (:mod:`newsloom.analyse.language`),
embeddings (:mod:`newsloom.analyse.embed`), entities and quotes.

Submodules are imported explicitly (``from newsloom.analyse import language``) so that importing
this package does not load any model.
"""
