"""The content fingerprint of a loaded corpus: equal on every replica that serves the same speeches."""

from __future__ import annotations

import contextlib
import hashlib
import weakref

from retrieval.search.engine import SearchEngine

_versions: weakref.WeakKeyDictionary[SearchEngine, str] = weakref.WeakKeyDictionary()


def corpus_version(engine: SearchEngine) -> str:
    """The first 16 hex digits of a SHA-256 over each document's id, title and cleaned text
    (computed once per engine)."""
    try:
        known = _versions.get(engine)
    except TypeError:  # an engine stand-in that takes no weak references
        known = None
    if known is not None:
        return known
    digest = hashlib.sha256()
    documents = sorted(engine.documents, key=lambda d: str(getattr(d, "doc_id", "")))
    for document in documents:
        meta = getattr(document, "meta", None)
        for part in (
            getattr(document, "doc_id", ""),
            getattr(meta, "title", ""),
            getattr(document, "text", ""),
        ):
            encoded = str(part).encode("utf-8", "surrogatepass")
            digest.update(len(encoded).to_bytes(8, "big") + encoded)
    version = digest.hexdigest()[:16]
    with contextlib.suppress(TypeError):
        _versions[engine] = version
    return version
