"""Machine output: one JSON object per answer (the contract in README.md)."""

from __future__ import annotations

import json

from retrieval.search.results import Answer


def answer_json(answer: Answer) -> str:
    return json.dumps(answer.to_json(), ensure_ascii=False)
