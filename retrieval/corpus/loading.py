"""Loading a corpus folder: every readable speech becomes a Document; bad files and bad
metadata are reported with their path and reason, and never stop the rest."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retrieval.corpus import metadata
from retrieval.corpus.cleaning import clean_lines
from retrieval.corpus.document import Document
from retrieval.corpus.reading import SUFFIXES, BadFile, read_text_file
from retrieval.corpus.structure import SALUTATION_RE, parse_body, parse_header

METADATA_FILE = "corpus.yaml"
SKIPPED_NAMES = ("readme", "license", "licence", "changelog")


@dataclass(frozen=True)
class Problem:
    path: str  # corpus-relative
    reason: str


@dataclass
class Corpus:
    root: Path
    documents: Sequence[Document] = field(default_factory=list)  # a saved index decodes them on first use
    bad_files: list[Problem] = field(default_factory=list)

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents if d.doc_id == doc_id), None)


def is_speech_file(path: Path) -> bool:
    name = path.name.lower()
    return (
        path.suffix.lower() in SUFFIXES
        and not name.startswith((".", "_", "~$"))
        and not name.startswith(SKIPPED_NAMES)
    )


def speech_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if is_speech_file(p) and not p.is_dir())


def parse_document(root: Path, path: Path, explicit: dict[str, Any] | None = None) -> Document:
    """Read, clean and parse one file. Raises BadFile with the reason if it cannot be used."""
    relative = path.relative_to(root)
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise BadFile("symbolic link pointing outside the corpus folder")
    if not resolved.is_file():
        raise BadFile("not a regular file")
    raw_text, encoding = read_text_file(resolved)
    front, text = metadata.split_front_matter(raw_text)
    kept, dropped = clean_lines(text)
    lines = [line for _, line in kept]
    if not lines:
        raise BadFile(f"no speech text left after dropping {len(dropped)} boilerplate line(s)")
    header = parse_header(lines)
    first_body = header.length
    salutation = None
    if first_body < len(lines) and SALUTATION_RE.match(lines[first_body]):
        salutation = lines[first_body]
        first_body += 1
    cleaned = "\n".join(lines)
    paragraphs, sections = parse_body(lines, cleaned, first_body)
    if not any(p.indexed for p in paragraphs):
        raise BadFile("no speech paragraphs (only a title or headings)")
    fields = {**front, **(explicit or {})}
    meta = metadata.build(
        relative.stem, header, fields, lines[first_body : first_body + metadata.OPENING_LINES]
    )
    digest = hashlib.sha256((raw_text + repr(sorted(fields.items(), key=str))).encode()).hexdigest()
    return Document(
        doc_id=relative.with_suffix("").as_posix(),
        path=relative.as_posix(),
        meta=meta,
        text=cleaned,
        paragraphs=paragraphs,
        sections=sections,
        salutation=salutation,
        dropped=dropped,
        encoding=encoding,
        content_hash=digest,
    )


def _metadata_for_folder(root: Path, folder: Path, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        return metadata.load_yaml_file(path)
    except metadata.MetadataError as err:
        problems.append(Problem(path.relative_to(root).as_posix(), f"{err}; metadata ignored"))
        return {}


def load_corpus(root: Path | str) -> Corpus:
    """Every speech under `root` (sub-folders included), with the problems found."""
    root = Path(root)
    corpus = Corpus(root=root)
    if not root.is_dir():
        corpus.bad_files.append(Problem(str(root), "corpus folder does not exist"))
        return corpus
    folder_meta: dict[Path, dict[str, dict[str, Any]]] = {}
    documents: list[Document] = []
    corpus.documents = documents
    for path in speech_files(root):
        if path.parent not in folder_meta:
            folder_meta[path.parent] = _metadata_for_folder(root, path.parent, corpus.bad_files)
        entries = folder_meta[path.parent]
        explicit = entries.get(path.name) or entries.get(path.stem) or {}
        try:
            documents.append(parse_document(root, path, explicit))
        except BadFile as err:
            corpus.bad_files.append(Problem(path.relative_to(root).as_posix(), str(err)))
        except OSError as err:
            corpus.bad_files.append(
                Problem(path.relative_to(root).as_posix(), f"cannot read: {err.strerror}")
            )
    corpus.documents = _unique_ids(corpus.documents, corpus.bad_files)
    return corpus


def _unique_ids(documents: list[Document], problems: list[Problem]) -> list[Document]:
    """The first document of each id (x.txt and x.md are both "x"); each later one is
    reported as a bad file naming the one kept, so that every id names one document."""
    kept: dict[str, Document] = {}
    for document in documents:
        first = kept.setdefault(document.doc_id, document)
        if first is not document:
            problems.append(
                Problem(document.path, f"same document id {document.doc_id!r} as {first.path}; not indexed")
            )
    return list(kept.values())


@dataclass
class CorpusChanges:
    added: list[str]
    removed: list[str]
    changed: list[str]

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def compare(old: Corpus, new: Corpus) -> CorpusChanges:
    """Documents added, removed and changed (by content hash) between two loads."""
    before = {d.doc_id: d.content_hash for d in old.documents}
    after = {d.doc_id: d.content_hash for d in new.documents}
    return CorpusChanges(
        added=sorted(after.keys() - before.keys()),
        removed=sorted(before.keys() - after.keys()),
        changed=sorted(k for k in before.keys() & after.keys() if before[k] != after[k]),
    )
