#!/usr/bin/env python3
"""Check deploy/speechbot.service without systemd: syntax, and the settings the deployment relies on.

    python3 deploy/unitcheck.py [UNIT]        exit 0 when fine, else 1 with one line per problem

`systemd-analyze verify` (deploy/check.sh runs it where it exists) knows systemd's syntax; this
knows what *we* require of the unit: a dedicated user, the token from an EnvironmentFile,
restart on failure, hardening, and the state directory as the only writable place.
Standard library only: it runs before any virtual environment exists.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

UNIT = Path(__file__).resolve().parent / "speechbot.service"
SECTIONS = ("Unit", "Service", "Install")

#: (section, key, predicate on the list of values, what is required)
REQUIRED = [
    ("Unit", "Description", lambda v: bool(v and v[-1]), "a description"),
    ("Unit", "After", lambda v: "network-online.target" in " ".join(v), "After=network-online.target"),
    ("Service", "User", lambda v: bool(v) and v[-1] not in ("", "root", "0"), "a dedicated, non-root User="),
    ("Service", "Group", lambda v: bool(v) and v[-1] not in ("", "root", "0"), "a dedicated Group="),
    ("Service", "EnvironmentFile", lambda v: bool(v and v[-1].lstrip("-")), "EnvironmentFile= for the token"),
    (
        "Service",
        "ExecStart",
        lambda v: bool(v) and re.search(r"/speechbot serve\b", v[-1]) is not None,
        "ExecStart= running `speechbot serve`",
    ),
    ("Service", "ExecReload", lambda v: bool(v) and "HUP" in v[-1], "ExecReload= sending SIGHUP"),
    ("Service", "Restart", lambda v: bool(v) and v[-1] in ("on-failure", "always"), "Restart=on-failure"),
    ("Service", "NoNewPrivileges", lambda v: bool(v) and v[-1] == "yes", "NoNewPrivileges=yes"),
    ("Service", "ProtectSystem", lambda v: bool(v) and v[-1] == "strict", "ProtectSystem=strict"),
    ("Service", "ProtectHome", lambda v: bool(v) and v[-1] in ("yes", "read-only", "tmpfs"), "ProtectHome="),
    ("Service", "PrivateTmp", lambda v: bool(v) and v[-1] == "yes", "PrivateTmp=yes"),
    ("Service", "StateDirectory", lambda v: bool(v and v[-1]), "StateDirectory= (the writable place)"),
    (
        "Service",
        "CapabilityBoundingSet",
        lambda v: bool(v) and v[-1] == "",
        "an empty CapabilityBoundingSet=",
    ),
    ("Install", "WantedBy", lambda v: "multi-user.target" in " ".join(v), "WantedBy=multi-user.target"),
]


def parse(text: str) -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    """Sections -> key -> values (a key may repeat), and syntax problems with line numbers."""
    sections: dict[str, dict[str, list[str]]] = {}
    problems: list[str] = []
    current: dict[str, list[str]] | None = None
    pending = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = pending + raw.strip() if pending else raw.strip()
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        header = re.fullmatch(r"\[([A-Za-z0-9-]+)\]", line)
        if header:
            name = header.group(1)
            if name in sections:
                problems.append(f"line {number}: section [{name}] repeated")
            current = sections.setdefault(name, {})
            continue
        if current is None:
            problems.append(f"line {number}: setting outside a section")
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", key.strip()):
            problems.append(f"line {number}: not a Key=value line: {raw.strip()!r}")
            continue
        current.setdefault(key.strip(), []).append(value.strip())
    if pending:
        problems.append("the last line ends with a continuation backslash")
    return sections, problems


def state_paths(service: dict[str, list[str]]) -> list[str]:
    return ["/var/lib/" + name for value in service.get("StateDirectory", []) for name in value.split()]


def check(text: str) -> list[str]:
    """Every problem found in a unit file's text (empty when it is fine)."""
    sections, problems = parse(text)
    for name in SECTIONS:
        if name not in sections:
            problems.append(f"missing section [{name}]")
    for section, key, ok, wanted in REQUIRED:
        values = sections.get(section, {}).get(key, [])
        if not ok(values):
            problems.append(f"[{section}] needs {wanted}")
    service = sections.get("Service", {})
    writable = state_paths(service)
    for value in service.get("ReadWritePaths", []):
        for path in value.split():
            if not any(path.lstrip("-") == w or path.lstrip("-").startswith(w + "/") for w in writable):
                problems.append(f"ReadWritePaths={path} is outside the state directory {writable}")
    environment = " ".join(service.get("Environment", []))
    cache = re.search(r"SPEECHBOT_CACHE=(\S+)", environment)
    if cache is None:
        problems.append("Environment= needs SPEECHBOT_CACHE (the index cache) in the state directory")
    elif not any(cache.group(1).startswith(w) for w in writable):
        problems.append(f"SPEECHBOT_CACHE={cache.group(1)} is not in the state directory {writable}")
    if "TELEGRAM_BOT_TOKEN" in environment:
        problems.append("the token belongs in the EnvironmentFile, not in Environment=")
    return problems


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else UNIT
    problems = check(path.read_text(encoding="utf-8"))
    for problem in problems:
        print(f"{path}: {problem}")
    if not problems:
        print(f"{path}: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
