"""Index: passages (sentence windows), the BM25 matrix, exact top-k, build workers, the saved index."""
