"""Corpus: reading files, cleaning, structure, metadata and the document model; loading a folder."""
