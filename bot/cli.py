"""The `speechbot` command: ask, corpus check, outline, commitments, eval, chat, serve, run."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.config import DEFAULT_EVAL, PROJECT_EVAL, TOKEN_ENV, ConfigError, build_settings, default_corpus
from retrieval.index.trust import UntrustedCache

log = logging.getLogger("speechbot")


def _engine(corpus: Path):
    from retrieval.search.engine import SearchEngine

    return SearchEngine.from_folder(corpus)


def _questions(items: Sequence[str]) -> Iterable[str]:
    """The questions given; `-` stands for stdin, one question per line."""
    for item in items:
        if item == "-":
            yield from (line.strip() for line in sys.stdin if line.strip())
        else:
            yield item


def cmd_ask(args: argparse.Namespace) -> int:
    from retrieval.render.json_lines import answer_json
    from retrieval.render.terminal import answer_text

    engine = _engine(args.corpus)
    for question in _questions(args.questions):
        answer = engine.ask(question, top=args.top)
        if args.json:
            print(answer_json(answer), flush=True)
        else:
            print(f"问：{question}\n{answer_text(answer)}\n", flush=True)
    return 0


def cmd_corpus_check(args: argparse.Namespace) -> int:
    from retrieval.corpus.loading import load_corpus
    from retrieval.index.passages import passage_count
    from retrieval.render.terminal import corpus_report

    corpus = load_corpus(args.dir)
    passages = sum(map(passage_count, corpus.documents))
    print(corpus_report(corpus, passages))
    return 0 if corpus.documents else 1


def cmd_outline(args: argparse.Namespace) -> int:
    from bot.service.answering import DocumentNotFound, find_document
    from retrieval.render.terminal import outline_text

    engine = _engine(args.corpus)
    try:
        document = find_document(engine, args.doc)
    except DocumentNotFound as err:
        print(err, file=sys.stderr)
        return 2
    print(outline_text(document))
    return 0


def cmd_commitments(args: argparse.Namespace) -> int:
    """A speech's commitments grouped by part (all speeches without DOC); --json, --csv, --score."""
    import json

    from bot.service.answering import DocumentNotFound, find_document
    from retrieval.evaluate.commitments import score_labels
    from retrieval.render.commitments import commitments_text, listed_commitments

    engine = _engine(args.corpus)
    if args.score:
        for score in score_labels(engine.documents, args.score):
            print(score.summary())
            if score.name == "all":
                print("\n".join(f"  {error}" for error in score.errors))
        return 0
    try:
        documents = [find_document(engine, args.doc)] if args.doc else engine.documents
    except DocumentNotFound as err:
        print(err, file=sys.stderr)
        return 2
    for document in documents:
        if args.csv:
            from retrieval.render.csv import commitments_csv

            sys.stdout.buffer.write(commitments_csv(listed_commitments(engine, document)))
        elif args.json:
            items = [item.to_json() for item in listed_commitments(engine, document)]
            record = {"doc_id": document.doc_id, "title": document.meta.title, "commitments": items}
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            print(commitments_text(engine, document) + "\n", flush=True)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from retrieval.evaluate.questions import evaluate

    paths = [Path(p) for p in args.sets] or sorted(DEFAULT_EVAL.glob("*.yaml")) + sorted(
        PROJECT_EVAL.glob("*.yaml")
    )
    if not paths:
        print(f"没有评测集：{DEFAULT_EVAL}/*.yaml 不存在", file=sys.stderr)
        return 2
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print("找不到评测集：" + "、".join(map(str, missing)), file=sys.stderr)
        return 2
    engine = _engine(args.corpus)
    for result in evaluate(engine, paths):
        print(result.summary())
        for failure in result.failures:
            print(f"  ✗ {failure}")
    return 0


def _asker(corpus: Path):
    from bot.service.answering import Asker
    from bot.service.holder import EngineHolder, Stats

    return Asker(EngineHolder(corpus), Stats())


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.service.chat import run_chat

    return run_chat(_asker(args.corpus))


def _serve_overrides(args: argparse.Namespace) -> dict:
    keys = ("corpus", "webhook_url", "listen", "port", "secret_token", "api_base_url")
    overrides = {key: getattr(args, key, None) for key in keys}
    overrides["admins"] = getattr(args, "admin", None)
    return overrides


def cmd_serve(args: argparse.Namespace) -> int:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"请设置环境变量 {TOKEN_ENV}（Telegram 机器人令牌）", file=sys.stderr)
        return 2
    try:
        settings = build_settings(args.config, _serve_overrides(args))
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    from bot.telegram.application import serve

    serve(settings, token)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if os.environ.get(TOKEN_ENV, "").strip():
        return cmd_serve(args)
    print(f"未设置 {TOKEN_ENV}，启动终端对话（speechbot chat）。", flush=True)
    if args.corpus is None:
        args.corpus = default_corpus()
    return cmd_chat(args)


def _corpus_option(parser: argparse.ArgumentParser, default: bool = True) -> None:
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="speech folder (default: $SPEECHBOT_CORPUS or corpus/ in the project)",
    )
    parser.set_defaults(corpus_default=default)


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="YAML file with the same settings (options override it)")
    parser.add_argument("--webhook-url", help="public HTTPS URL of the webhook (default: long polling)")
    parser.add_argument("--listen", help="address the webhook server binds (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port the webhook server binds (default 8443)")
    parser.add_argument("--secret-token", help="webhook secret token checked on every update")
    parser.add_argument("--api-base-url", help="Bot API base URL, e.g. http://127.0.0.1:8081/bot")
    parser.add_argument("--admin", type=int, action="append", help="admin Telegram user id (repeatable)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="speechbot", description="Quoted answers from a corpus of speeches.")
    sub = top.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer questions in the terminal")
    ask.add_argument("questions", nargs="+", metavar="QUESTION", help="questions; - reads them from stdin")
    _corpus_option(ask)
    ask.add_argument("--top", type=int, default=3, help="passages per question (default 3)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question per line")
    ask.set_defaults(func=cmd_ask)

    corpus = sub.add_parser("corpus", help="corpus tools")
    corpus_sub = corpus.add_subparsers(dest="corpus_command", required=True)
    check = corpus_sub.add_parser("check", help="report what would be indexed")
    check.add_argument("dir", nargs="?", type=Path, default=None, help="corpus folder")
    check.set_defaults(func=cmd_corpus_check)

    outline = sub.add_parser("outline", help="parts and points of one speech")
    outline.add_argument("doc", metavar="DOC", help="doc id, or a unique part of its id or title")
    _corpus_option(outline)
    outline.set_defaults(func=cmd_outline)

    pledges = sub.add_parser("commitments", help="commitments of a speech, grouped by part")
    pledges.add_argument("doc", nargs="?", metavar="DOC", help="doc id or a unique part of it (default: all)")
    _corpus_option(pledges)
    pledges.add_argument("--json", action="store_true", help="one JSON object per speech per line")
    pledges.add_argument("--csv", action="store_true", help="CSV (UTF-8 with BOM) on stdout")
    pledges.add_argument(
        "--score", type=Path, metavar="LABELS", help="precision/recall on a labelled YAML file"
    )
    pledges.set_defaults(func=cmd_commitments)

    evaluation = sub.add_parser("eval", help="run YAML question sets")
    evaluation.add_argument(
        "sets", nargs="*", metavar="SET", help=f"YAML files (default {DEFAULT_EVAL}/*.yaml and eval/*.yaml)"
    )
    _corpus_option(evaluation)
    evaluation.set_defaults(func=cmd_eval)

    chat = sub.add_parser("chat", help="interactive conversation in the terminal")
    _corpus_option(chat)
    chat.set_defaults(func=cmd_chat)

    for name, func, text in (
        ("serve", cmd_serve, "run the Telegram bot (token from $TELEGRAM_BOT_TOKEN)"),
        ("run", cmd_run, "serve if $TELEGRAM_BOT_TOKEN is set, else chat"),
    ):
        command = sub.add_parser(name, help=text)
        _corpus_option(command, default=False)
        _serve_options(command)
        command.set_defaults(func=func)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "corpus_default", False) and args.corpus is None:
        args.corpus = default_corpus()
    if args.command == "corpus" and args.dir is None:
        args.dir = default_corpus()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except UntrustedCache as err:  # a cache folder that must not be used: say which and why
        print(f"speechbot: {err}", file=sys.stderr)
        return 2
