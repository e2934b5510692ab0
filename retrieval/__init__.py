"""Retrieval: a file becomes a document with its structure (corpus/), the document becomes
passages (index/), passages go into a BM25 index (index/), a question becomes hits (search/),
hits become text, JSON or CSV (render/). Words are normalised and segmented in text/;
commitments are found per document in commitments/; evaluate/ measures it all.

This package never imports `bot` (checked by import-linter, see pyproject.toml).
"""
