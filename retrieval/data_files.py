"""The package's data files (retrieval/data/): stop words, user dictionary, synonyms, rules."""

from __future__ import annotations

from importlib import resources


def data_text(name: str) -> str:
    return resources.files("retrieval").joinpath("data", name).read_text(encoding="utf-8")


def data_lines(name: str) -> list[str]:
    """The file's lines, stripped, without blank lines and # comments."""
    return [
        line.strip() for line in data_text(name).splitlines() if line.strip() and not line.startswith("#")
    ]
