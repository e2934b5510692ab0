"""Plain-text renderings of answers, outlines and corpus reports for the terminal
(JSON lines in json_lines.py; Telegram HTML lives in bot/telegram/html.py)."""

from __future__ import annotations

from retrieval.corpus.document import CLOSING, OPENING, Document
from retrieval.corpus.loading import Corpus
from retrieval.corpus.references import chinese_number
from retrieval.render.highlight import mark
from retrieval.search.results import Answer, Hit


def hit_heading(hit: Hit) -> str:
    """Reference, date and paragraph of a hit on one line."""
    extras = [x for x in (hit.date, f"第{hit.paragraph}段") if x]
    return f"{hit.reference}（{'，'.join(extras)}）"


def answer_text(answer: Answer, first_number: int = 1) -> str:
    """A terminal answer: numbered hits, each a reference line and the quote with 【】 marks."""
    if not answer.found:
        return not_found_text(answer)
    blocks = [partial_note(answer)] if answer.unmatched else []
    for number, hit in enumerate(answer.hits, start=first_number):
        quote = mark(hit.quote, answer.terms, "【", "】")
        blocks.append(f"{number}. {hit_heading(hit)}\n   「{quote}」")
    return "\n\n".join(blocks)


def partial_note(answer: Answer) -> str:
    """Said before an answer whose first passage lacks some of the question's words."""
    return f"（只部分相符：第一条结果所在的段落没有「{'、'.join(answer.unmatched)}」。）"


def not_found_text(answer: Answer) -> str:
    if not answer.terms:
        return "问题里没有可检索的词语，请换个说法，例如：「廉政责任书多久签一次」。"
    lines = ["没有找到与问题相符的段落。"]
    if answer.missing_terms:
        lines.append("语料中没有出现的词：" + "、".join(answer.missing_terms))
    lines.append("可以换个说法，或用 /speeches 查看收录的讲话。")
    return "\n".join(lines)


def outline_lines(document: Document) -> list[str]:
    """The parts, sub-sections and points of a speech, one per line, indented."""
    lines = [f"《{document.meta.title}》"]
    details = [x for x in (document.meta.speaker, document.meta.date, document.meta.occasion) if x]
    if details:
        lines.append("  " + " · ".join(details))
    if any(p.kind == OPENING for p in document.paragraphs):
        lines.append("开场白")
    for section in document.sections:
        lines.append(f"{chinese_number(section.number)}、{section.title}")
        section_paragraphs = [p for p in document.paragraphs if p.section == section.number]
        for subsection in section.subsections:
            lines.append(f"  （{chinese_number(subsection.number)}）{subsection.title}")
        for paragraph in section_paragraphs:
            indent = "    " if paragraph.subsection else "  "
            lines.extend(f"{indent}{point.label}" for point in paragraph.points)
    if any(p.kind == CLOSING for p in document.paragraphs):
        lines.append("结束语")
    return lines


def outline_text(document: Document) -> str:
    return "\n".join(outline_lines(document))


def corpus_report(corpus: Corpus, passages: int | None = None) -> str:
    """What would be indexed: documents, parts, passages, dropped lines, bad files."""
    lines = [f"语料目录：{corpus.root}", f"文档：{len(corpus.documents)}"]
    if passages is not None:
        lines.append(f"段落片段（passages）：{passages}")
    for document in corpus.documents:
        indexed = sum(1 for p in document.paragraphs if p.indexed)
        lines.append(
            f"  {document.doc_id}：《{document.meta.title}》 {document.meta.date or '日期不详'}，"
            f"{len(document.sections)} 个部分，{indexed} 段，编码 {document.encoding}"
        )
        for dropped in document.dropped:
            lines.append(f"    删除第 {dropped.line_number} 行「{dropped.text}」：{dropped.reason}")
    lines.append(f"问题文件：{len(corpus.bad_files)}")
    lines.extend(f"  {problem.path}：{problem.reason}" for problem in corpus.bad_files)
    return "\n".join(lines)
