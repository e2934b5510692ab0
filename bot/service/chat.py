"""`speechbot chat`: the bot's conversation in a terminal, as plain text."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.service.answering import Asker, DocumentNotFound, find_document
from bot.service.conversation import ABOUT, ANSWER, CHOOSE, NO_MORE, Dialogue, Reply
from retrieval.render.terminal import answer_text, outline_text

PROMPT = "问> "
TERMINAL = (0, 0)  # the terminal's one conversation
HELP = """直接输入问题，回答会引用讲话原文并注明出处；可以接着问（那第四部分呢、这篇讲话是谁讲的）。
  更多 / 还有吗   下一批结果
  /speeches       收录的讲话
  /outline N      第 N 篇讲话（或其名称）的提纲
  /help           本说明
  /quit           退出（Ctrl-D 亦可）"""


class Conversation:
    """One terminal conversation: commands, and every other line a turn of the dialogue."""

    def __init__(self, asker: Asker) -> None:
        self.asker = asker
        self.dialogue = Dialogue(asker)

    def respond(self, line: str) -> str | None:
        """The reply to one input line; None means the user wants to quit."""
        line = line.strip()
        if not line:
            return ""
        if line in ("/quit", "/exit"):
            return None
        if line in ("/help", "/start"):
            return HELP
        if line == "/speeches":
            return self.speeches()
        if line.split()[0] == "/outline":
            return self.outline(line.removeprefix("/outline").strip())
        return self.turn(line)

    def turn(self, line: str) -> str:
        """A question, a follow-up or small talk, as plain text."""
        return reply_text(self.dialogue.respond(TERMINAL, line))

    def speeches(self) -> str:
        documents = self.asker.holder.engine.documents
        lines = [f"{n}. 《{d.meta.title}》 {d.meta.date or ''}".rstrip() for n, d in enumerate(documents, 1)]
        return "\n".join(lines) or "语料中没有讲话。"

    def outline(self, key: str) -> str:
        engine = self.asker.holder.engine
        if not key:
            return "用法：/outline N（N 为 /speeches 中的序号或讲话名称）"
        if key.isdigit() and 1 <= int(key) <= len(engine.documents):
            return outline_text(engine.documents[int(key) - 1])
        try:
            return outline_text(find_document(engine, key))
        except DocumentNotFound as err:
            return str(err)


def reply_text(reply: Reply) -> str:
    if reply.kind == ANSWER and reply.answer is not None:
        return answer_text(reply.answer, first_number=reply.offset + 1)
    if reply.kind == NO_MORE:
        return "没有更多结果了。"
    if reply.kind == ABOUT and reply.fact and reply.fact.source:
        return f"{reply.text}\n（出处：{reply.fact.source}）"
    if reply.kind == CHOOSE:
        names = "\n".join(f"  《{d.meta.title}》" for d in reply.choices)
        return f"你问的是哪一篇讲话？请在问题里写上讲话的名称、年份或地区，例如：\n{names}"
    return reply.text


def run_chat(asker: Asker, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Read questions until /quit or end of input; works with a pipe as well as a TTY."""
    conversation = Conversation(asker)
    interactive = stdin.isatty()
    if interactive:
        print("输入问题开始查询，/help 查看用法，/quit 退出。", file=stdout)
    while True:
        stdout.write(PROMPT)
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            return 0
        if not interactive:
            stdout.write(line if line.endswith("\n") else line + "\n")
        reply = conversation.respond(line)
        if reply is None:
            return 0
        if reply:
            print(reply + "\n", file=stdout)
