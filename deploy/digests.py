#!/usr/bin/env python3
"""Every base image in the Dockerfile and every image in the Compose file is pinned by digest.

    python3 deploy/digests.py deploy/Dockerfile deploy/compose.yaml

A tag (python:3.11-slim-bookworm) can be moved to other contents; ``name:tag@sha256:<64 hex>``
cannot. FROM lines may name an ARG (``FROM ${PYTHON_IMAGE}``): its default is checked, and a
build stage (``FROM build``) needs none. Exit 1 naming every image that is not pinned.
Standard library only (CI runs it before anything is installed).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PINNED = re.compile(r"^[\w.\-/:]+@sha256:[0-9a-f]{64}$")


def dockerfile_images(text: str) -> list[str]:
    defaults = dict(re.findall(r"(?m)^ARG\s+(\w+)=(\S+)", text))
    stages = set(re.findall(r"(?mi)^FROM\s+\S+\s+AS\s+(\w+)", text))
    images = []
    for name in re.findall(r"(?m)^FROM\s+(\S+)", text):
        name = re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), name)
        if name not in stages:
            images.append(name)
    return images


def compose_images(text: str) -> list[str]:
    return re.findall(r"(?m)^\s*image:\s*[\"']?([^\s\"'#]+)", text)


def unpinned(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    images = compose_images(text) if path.suffix in (".yaml", ".yml") else dockerfile_images(text)
    # the image Compose builds from the Dockerfile is the project's own, named by tag
    return [image for image in images if not PINNED.match(image) and not image.startswith("speechbot:")]


def main(paths: list[str]) -> int:
    bad = [f"{path}: {image}" for path in paths for image in unpinned(Path(path))]
    for line in bad:
        print(f"not pinned by digest: {line}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
