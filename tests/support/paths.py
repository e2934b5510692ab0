"""Where the project, its seed corpus and the shared evaluation sets are."""

from __future__ import annotations

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
SEED = PROJECT / "corpus" / "seed"
SHARED_EVAL = PROJECT.parent / "shared" / "eval"
