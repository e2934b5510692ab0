"""What ranking would otherwise recompute for each candidate, computed once per build: each
passage's heading text (its part, sub-section and point titles, folded), its paragraph's span
and its point's span, as arrays indexed by passage id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.corpus.document import Document
from retrieval.index.passages import PassageTable
from retrieval.text.normalize import fold


@dataclass(frozen=True)
class PassagePlaces:
    """Per passage: `heading[i]` indexes `headings` (the folded titles above it);
    `paragraph_start/end[i]` is its paragraph's span and `point_start/end[i]` its point's
    (−1 when it is in none), all offsets into its document's text (= its folded text)."""

    heading: np.ndarray  # int32
    headings: list[str]
    paragraph_start: np.ndarray  # int32
    paragraph_end: np.ndarray  # int32
    point_start: np.ndarray  # int32
    point_end: np.ndarray  # int32

    def heading_text(self, passage_id: int) -> str:
        return self.headings[self.heading[passage_id]]


def passage_places(documents: Sequence[Document], passages: PassageTable) -> PassagePlaces:
    count = len(passages)
    heading = np.zeros(count, dtype=np.int32)
    spans = np.full((4, count), -1, dtype=np.int32)
    ids: dict[str, int] = {}
    for i, (doc, number, start) in enumerate(
        zip(passages.doc.tolist(), passages.paragraph.tolist(), passages.start.tolist(), strict=True)
    ):
        document = documents[doc]
        paragraph = document.paragraphs[number - 1]
        section = document.section(paragraph.section)
        titles = []
        if section:
            titles.append(section.title)
            if paragraph.subsection:
                titles.append(section.subsections[paragraph.subsection - 1].title)
        point = document.point_at(paragraph, start)
        if point:
            titles.append(point.label)
            spans[2, i], spans[3, i] = point.start, point.end
        spans[0, i], spans[1, i] = paragraph.start, paragraph.end
        heading[i] = ids.setdefault(" ".join(titles), len(ids))
    return PassagePlaces(heading, [fold(text) for text in ids], *spans)
