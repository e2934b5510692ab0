#!/usr/bin/env python3
"""Run deploy/Dockerfile's commands without Docker, inside a folder standing in for the image.

    python3 deploy/dockerfile_run.py --root DIR [--dockerfile deploy/Dockerfile] [--context .]

CI has no Docker engine, so deploy/check.sh uses this to run what the image build runs:
every instruction of the build stage (ARG, ENV, WORKDIR, COPY, RUN), then the final stage's
COPY and ENV lines (its RUN lines need root, e.g. useradd, and are listed as skipped).
Absolute paths under the image's own folders (/src, /opt, /corpus, /cache, /etc/speechbot) are
moved under DIR; the base image's Python is this machine's `python3`. The final stage's
environment is written to DIR/env.sh (to `source` before smoke tests).
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAPPED = ("/src", "/opt", "/corpus", "/cache", "/etc/speechbot")
_PATH = re.compile(r"(?<![\w./-])(" + "|".join(re.escape(p) for p in MAPPED) + r")(?=[/\s\"':]|$)")


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        result.append((word.upper(), rest.strip()))
    return result


def stages(steps: list[tuple[str, str]]) -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    """Global ARG defaults, and the instructions of each stage (FROM line first)."""
    args: dict[str, str] = {}
    found: list[list[tuple[str, str]]] = []
    for word, rest in steps:
        if word == "FROM":
            found.append([(word, rest)])
        elif found:
            found[-1].append((word, rest))
        elif word == "ARG":
            name, _, default = rest.partition("=")
            args[name] = default
    return args, found


def expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), os.environ.get(m.group(1), "")), value)


def assignments(rest: str) -> list[tuple[str, str]]:
    """ENV/ARG arguments: `A=1 B="two words"` (or the old `ENV A value` form)."""
    parts = shlex.split(rest)
    if parts and "=" not in parts[0]:
        return [(parts[0], " ".join(parts[1:]))]
    return [tuple(part.split("=", 1)) for part in parts]  # type: ignore[misc]


class Image:
    def __init__(self, root: Path, context: Path) -> None:
        self.root = root
        self.context = context
        self.env: dict[str, str] = {}
        self.workdir = root

    def map(self, text: str) -> str:
        return _PATH.sub(lambda m: str(self.root) + m.group(1), text)

    def run_stage(self, steps: list[tuple[str, str]], args: dict[str, str], run: bool) -> None:
        for word, rest in steps[1:]:
            if word == "ARG":
                name, _, default = rest.partition("=")
                self.env.setdefault(name, args.get(name, default))
            elif word == "ENV":
                for name, value in assignments(rest):
                    self.env[name] = self.map(expand(value, self.env))
            elif word == "WORKDIR":
                self.workdir = Path(self.map(expand(rest, self.env)))
                self.workdir.mkdir(parents=True, exist_ok=True)
            elif word == "COPY":
                self.copy(rest)
            elif word == "RUN":
                if run:
                    self.run(rest)
                else:
                    print(f"skipped (needs root in the image): RUN {rest}", flush=True)

    def copy(self, rest: str) -> None:
        parts = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
        flags = [p for p in parts if p.startswith("--")]
        if any(f.startswith("--from") for f in flags):
            return  # from another stage: already in place (same mapped path)
        *sources, dest = [p for p in parts if not p.startswith("--")]
        target = Path(self.map(dest)) if dest.startswith("/") else self.workdir / dest
        into_folder = dest.endswith("/") or len(sources) > 1
        for source in sources:
            path = self.context / source
            if path.is_dir():
                shutil.copytree(path, target, dirs_exist_ok=True)
            else:
                final = target / path.name if into_folder else target
                final.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, final)

    def run(self, rest: str) -> None:
        if rest.startswith("["):
            command = [self.map(part) for part in json.loads(rest)]
        else:
            command = ["sh", "-c", self.map(rest)]
        env = {**os.environ, **self.env, "PATH": self.env.get("PATH", os.environ.get("PATH", ""))}
        print(f"RUN {rest}", flush=True)
        subprocess.run(command, cwd=self.workdir, env=env, check=True)

    def write_env(self, path: Path) -> None:
        lines = [f"export {name}={shlex.quote(value)}" for name, value in self.env.items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="folder standing in for the image's /")
    parser.add_argument("--dockerfile", type=Path, default=HERE / "Dockerfile")
    parser.add_argument("--context", type=Path, default=HERE.parent, help="build context (the repository)")
    options = parser.parse_args(argv)
    root = options.root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    args, found = stages(instructions(options.dockerfile.read_text(encoding="utf-8")))
    if len(found) < 2:
        print("expected a build stage and a final stage", file=sys.stderr)
        return 2
    for number, steps in enumerate(found):
        final = number == len(found) - 1
        print(f"== stage {number + 1}: FROM {steps[0][1]}", flush=True)
        image = Image(root, options.context.resolve())
        image.run_stage(steps, args, run=not final)
        if final:
            image.write_env(root / "env.sh")
    return 0


if __name__ == "__main__":
    sys.exit(main())
