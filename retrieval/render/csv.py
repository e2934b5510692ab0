"""Commitments as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""

from __future__ import annotations

import csv
import io

from retrieval.render.commitments import HORIZON_LABELS, KIND_LABELS, Listed

CSV_COLUMNS = (
    "序号",
    "讲话",
    "部分",
    "小节",
    "要点",
    "段落",
    "承诺原文",
    "内容",
    "频次",
    "数量",
    "时间",
    "责任",
    "出处",
    "类型",
    "期限范围",
    "项目",
)  # the last three were added after the others: existing columns keep their places


def commitments_csv(items: list[Listed]) -> bytes:
    """The commitments as CSV, UTF-8 with a byte-order mark so spreadsheets read the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for number, item in enumerate(items, 1):
        hit, c = item.hit, item.commitment
        writer.writerow(
            [
                number,
                hit.title,
                item.part_heading,
                hit.subsection or "",
                hit.point or "",
                c.paragraph,
                c.text,
                c.what,
                "、".join(c.how_often),
                "、".join(c.how_much),
                "、".join(c.when),
                "、".join(c.who),
                hit.reference,
                KIND_LABELS.get(c.kind, c.kind),
                HORIZON_LABELS.get(c.horizon, ""),
                "、".join(c.programmes),
            ]
        )
    return out.getvalue().encode("utf-8-sig")
