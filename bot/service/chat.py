"""`speechbot chat`: the bot's conversation in a terminal, as plain text."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.service.answering import Asker, DocumentNotFound, find_document
from retrieval.render.terminal import answer_text, outline_text

PROMPT = "问> "
MORE_WORDS = ("更多", "more")
HELP = """直接输入问题，回答会引用讲话原文并注明出处。
  更多 / more     下一批结果
  /speeches       收录的讲话
  /outline N      第 N 篇讲话（或其名称）的提纲
  /help           本说明
  /quit           退出（Ctrl-D 亦可）"""


class Conversation:
    """One terminal conversation: remembers the last question for 更多."""

    def __init__(self, asker: Asker) -> None:
        self.asker = asker
        self.question: str | None = None
        self.offset = 0

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
        if line.lower() in MORE_WORDS:
            return self.more()
        return self.ask(line)

    def ask(self, question: str) -> str:
        problem = self.asker.problem(question)
        if problem:
            return problem
        self.question, self.offset = question, 0
        return answer_text(self.asker.ask(question))

    def more(self) -> str:
        if self.question is None:
            return "还没有提问。"
        offset = self.offset + self.asker.top
        answer = self.asker.ask(self.question, offset=offset)
        if not answer.hits:
            return "没有更多结果了。"
        self.offset = offset
        return answer_text(answer, first_number=offset + 1)

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
