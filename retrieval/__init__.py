"""Retrieval engine: corpus → documents with structure → passages → BM25 index → hits.

This package never imports `bot`.
"""
