"""Search: reading a question, naming documents, ranking passages, the engine and its results."""
