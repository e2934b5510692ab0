"""A checker for Telegram's HTML parse mode, strict where Telegram is strict.

Telegram accepts only these tags (https://core.telegram.org/bots/api#html-style): b, strong,
i, em, u, ins, s, strike, del, span class="tg-spoiler", tg-spoiler, a href, tg-emoji, code,
pre, blockquote [expandable]; only the entities &lt; &gt; &amp; &quot; and numeric ones; every
tag closed, properly nested; the message at most 4,096 characters *after* entity parsing,
counted in UTF-16 code units. A text that Python cannot encode as UTF-8 (a lone surrogate)
cannot be sent at all.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

LIMIT = 4096
FORMATTING = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler"}
TAGS = FORMATTING | {"span", "a", "tg-emoji", "code", "pre", "blockquote"}
NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}
BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);)")
TAG_START = re.compile(r"<(/?)([^\s>/]*)")
WHOLE_TAG = re.compile(r"</?[a-z-]+(?:\s[^<>]*)?>")


class TelegramHTMLError(AssertionError):
    pass


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag not in TAGS:
            self.errors.append(f"tag <{tag}> not allowed")
        elif tag == "span" and attributes.get("class") != "tg-spoiler":
            self.errors.append("<span> without class tg-spoiler")
        elif tag == "a" and not attributes.get("href"):
            self.errors.append("<a> without href")
        elif tag == "blockquote" and set(attributes) - {"expandable"}:
            self.errors.append(f"<blockquote> with attributes {attributes}")
        elif tag in FORMATTING and attributes:
            self.errors.append(f"<{tag}> with attributes {attributes}")
        if tag == "blockquote" and "blockquote" in self.stack:
            self.errors.append("nested <blockquote>")
        if (
            self.stack
            and self.stack[-1] in ("code", "pre")
            and not (tag == "code" and self.stack[-1] == "pre")
        ):
            self.errors.append(f"<{tag}> inside <{self.stack[-1]}>")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            if tag in self.stack:
                del self.stack[self.stack.index(tag) :]
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            self.errors.append(f"entity &{name}; not supported")
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self.errors.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.errors.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.errors.append("processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.errors.append("unknown declaration")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def check(text: str, limit: int = LIMIT) -> str:
    """The visible text of a Telegram HTML message; raises TelegramHTMLError if Telegram would refuse it."""
    errors = []
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        errors.append(f"not encodable as UTF-8: {err}")
    errors.extend(f"unescaped & at {m.start()}" for m in BARE_AMPERSAND.finditer(text))
    for match in TAG_START.finditer(text):  # every < must open or close an allowed tag
        if match.group(2).lower() not in TAGS:
            errors.append(f"unescaped < at {match.start()}: {text[match.start() : match.start() + 12]!r}")
    if ">" in WHOLE_TAG.sub("", text):
        errors.append("unescaped > outside a tag")
    parser = _Parser()
    parser.feed(text)
    parser.close()
    errors.extend(parser.errors)
    if parser.stack:
        errors.append(f"unclosed tags {parser.stack}")
    visible = "".join(parser.text)
    if not visible.strip():
        errors.append("empty message")
    if utf16_length(visible) > limit:
        errors.append(f"{utf16_length(visible)} UTF-16 units after parsing, over {limit}")
    if utf16_length(text) > limit:  # the renderer's own, stricter promise (bot/telegram/html.py)
        errors.append(f"{utf16_length(text)} UTF-16 units of HTML, over {limit}")
    if errors:
        raise TelegramHTMLError(f"{errors[:5]} in {text[:300]!r}")
    return visible
