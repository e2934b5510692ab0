"""The package's data files (retrieval/data/): stop words, user dictionary, synonyms, rules,
ranking weights."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def data_text(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")


def data_lines(name: str) -> list[str]:
    """The file's lines, stripped, without blank lines and # comments."""
    return [
        line.strip() for line in data_text(name).splitlines() if line.strip() and not line.startswith("#")
    ]
