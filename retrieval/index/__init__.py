"""Index: passages (sentence windows), the BM25 matrix, exact top-k, build workers, the saved index,
and the suffix array that says whether a text occurs in the corpus (substrings)."""
