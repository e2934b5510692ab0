"""Error texts for users: server paths cut down to the file's own name."""

from __future__ import annotations

import re

ABSOLUTE_PATH = re.compile(r"(?:/[^/\s'\"，。：（）]+)+/([^/\s'\"，。：（）]+)")  # /tmp/x/y.docx -> y.docx


def without_paths(text: str) -> str:
    """`text` with every absolute path replaced by its last part (the file's name)."""
    return ABSOLUTE_PATH.sub(r"\1", text)
