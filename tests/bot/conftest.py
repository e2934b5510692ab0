"""Shared fixtures: the seed corpus copied to a temp folder, an engine built on it once, and
an index cache of the session's own (defined in seedpaths.py, shared with tests/hostile)."""

from seedpaths import corpus_dir, private_index_cache, seed_engine  # noqa: F401 (fixtures)
