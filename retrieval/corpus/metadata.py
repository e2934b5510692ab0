"""Document metadata: from YAML (corpus.yaml beside the texts, or front matter), then
from the text's header lines, then from the file name (2019_国务院_政府工作报告)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from retrieval.corpus.document import Metadata
from retrieval.corpus.structure import Header, cn_number
from retrieval.text.normalize import fold

FIELDS = ("title", "speaker", "date", "occasion", "source", "issuer", "year")
FILE_NAME_RE = re.compile(r"^(\d{4})[_\-\s]+([^_]+?)[_\-\s]+(.+)$")
DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
CN_DATE_RE = re.compile(
    r"([〇零一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日"
)
CN_YEAR_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
OCCASION_RE = re.compile(r"日\s*(?:在)?(.+?)(?:上|中)?$")
OCCASION_AND_SPEAKER_RE = re.compile(r"^(.+?)(?:上\s+(\S.{1,29}))?$")
# 我代表国务院，向第一届全国人民代表大会第二次会议提出…: the meeting, said in the opening
OPENING_OCCASION_RE = re.compile(
    r"[向在](第[一二三四五六七八九十]{1,3}届全国人民代表大会第[一二三四五六七八九十]{1,3}次会议)"
)
OPENING_LINES = 3
FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


class MetadataError(Exception):
    """A metadata file that cannot be used; the message says why."""


def load_yaml_file(path: Path) -> dict[str, dict[str, Any]]:
    """Entries of a corpus.yaml: {file name or stem: {title: …, speaker: …}}."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise MetadataError(f"invalid YAML: {err}".splitlines()[0]) from err
    entries = data.get("documents", data) if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not all(isinstance(v, dict) for v in entries.values()):
        raise MetadataError("expected a mapping of file names to fields (title, speaker, date, …)")
    return {str(k): v for k, v in entries.items()}


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter between --- lines at the top of a file, and the rest of the text."""
    match = FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text
    if not isinstance(data, dict):
        return {}, text
    return data, text[match.end() :]


def from_file_name(stem: str) -> dict[str, Any]:
    match = FILE_NAME_RE.match(stem)
    if not match:
        return {}
    year, issuer, name = match.groups()
    return {"year": int(year), "issuer": issuer, "name": name}


def from_header(header: Header) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if header.title:
        found["title"] = header.title.strip("《》")
    if header.speaker_line:
        found["speaker"] = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff]$)", "", header.speaker_line)
    if header.date_line:
        line = fold(header.date_line).lstrip("—－- ")
        date = DATE_RE.search(line) or CN_DATE_RE.search(line)
        if date:
            year, month, day = (
                int(x) if x.isdigit() else cn_number(x) if i else int(x.translate(CN_YEAR_DIGITS))
                for i, x in enumerate(date.groups())
            )
            found["date"] = f"{year:04d}-{month:02d}-{day:02d}"
            found["year"] = year
            occasion = OCCASION_RE.search(line[date.end() - 1 :])
            if occasion and len(occasion.group(1)) > 1:
                found["occasion"] = occasion.group(1).strip()
                # ——2026年1月27日在…会议上 陕西省省长 赵刚: the speaker on the date line
                place, speaker = OCCASION_AND_SPEAKER_RE.match(found["occasion"]).groups()  # type: ignore[union-attr]
                if speaker and not header.speaker_line:
                    found["occasion"], found["speaker"] = place, speaker
        else:
            found["occasion"] = line
    return found


def from_opening(lines: list[str]) -> dict[str, Any]:
    """The meeting a report was given at, when its first lines say so (向第一届…第二次会议)."""
    for line in lines[:OPENING_LINES]:
        match = OPENING_OCCASION_RE.search(fold(line))
        if match:
            return {"occasion": match.group(1)}
    return {}


def build(stem: str, header: Header, explicit: dict[str, Any], opening: list[str] | None = None) -> Metadata:
    """Merge the sources: explicit YAML wins, then the text header, then the opening lines,
    then the file name."""
    named = from_file_name(stem)
    texted = from_opening(opening or []) | from_header(header)
    merged: dict[str, Any] = {k: v for k, v in named.items() if k in FIELDS}
    merged.update(texted)
    merged.update({k: v for k, v in explicit.items() if k in FIELDS and v is not None})
    title = merged.get("title")
    if named and (not title or title == named["name"]):
        # 政府工作报告 alone names no document: say whose and which year.
        title = f"{named['year']}年{named['issuer']}{named['name']}"
    if "date" in merged:
        merged["date"] = str(merged["date"])
    elif merged.get("year"):
        merged["date"] = str(merged["year"])
    if merged.get("year") is None and merged.get("date"):
        year = re.match(r"\d{4}", str(merged["date"]))
        merged["year"] = int(year.group()) if year else None
    merged["title"] = title or stem
    return Metadata(**{k: merged[k] for k in FIELDS if k in merged})
