"""The `speechbot` command: ask, corpus check, outline, commitments, eval, chat, serve, run."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import (
    DEFAULT_EVAL,
    PROJECT_EVAL,
    TOKEN_ENV,
    ConfigError,
    build_settings,
    check_serving,
    default_corpus,
)
from retrieval.index.trust import UntrustedCache
from retrieval.search.results import Answer

if TYPE_CHECKING:
    from retrieval.search.engine import SearchEngine

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
        if args.explain:
            _explain(engine, question, answer)
    return 0


def _explain(engine: SearchEngine, question: str, answer: Answer) -> None:
    from retrieval.search.refusal import REFUSAL_FEATURES, default_refusal, question_features
    from retrieval.search.scoring import default_weights, explain_parts

    _, ranked = engine.traced(question)
    if ranked is not None and len(ranked[1].ids):
        values = question_features(engine, *ranked)
        model, min_coverage = default_refusal(), default_weights().min_coverage
        features = ", ".join(
            f"{name} {value:.2f}" for name, value in zip(REFUSAL_FEATURES, values, strict=True)
        )
        print(
            f"answerable: P {float(model.probability(values)):.4f} (refused under {model.threshold:.4f}, or "
            f"under coverage {min_coverage}); {features}\n",
            flush=True,
        )
    for number, hit in enumerate(answer.hits, start=1):
        if hit.score_parts:
            parts = explain_parts(hit.score_parts, default_weights()).replace("\n", "\n   ")
            print(f"{number}. {hit.reference}\n   {parts}\n", flush=True)
        else:
            print(f"{number}. {hit.reference}: read in order (a part or a speech named alone), not scored\n")


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
    """A speech's commitments grouped by part (all speeches without DOC); --kind and --horizon
    filter them; --json, --csv, --score."""
    import json

    from bot.service.answering import DocumentNotFound, find_document
    from retrieval.evaluate.commitments import score_file
    from retrieval.render.commitments import commitments_text, listed_commitments, parse_filter

    try:
        kinds, horizons = parse_filter([*args.kind, *args.horizon])
    except ValueError as err:
        print(
            f"不认识的类型或期限：{err}（类型 directive/target/deadline/programme/forecast/result，"
            "期限 this_year/plan_period/later，或 目标、项目、要求、期限、今年、规划期…）",
            file=sys.stderr,
        )
        return 2
    engine = _engine(args.corpus)
    if args.score:
        print("\n".join(score_file(engine.documents, args.score)))
        return 0
    try:
        documents = [find_document(engine, args.doc)] if args.doc else engine.documents
    except DocumentNotFound as err:
        print(err, file=sys.stderr)
        return 2
    for document in documents:
        items = listed_commitments(engine, document, kinds, horizons)
        if args.csv:
            from retrieval.render.csv import commitments_csv

            sys.stdout.buffer.write(commitments_csv(items))
        elif args.json:
            record = {
                "doc_id": document.doc_id,
                "title": document.meta.title,
                "commitments": [item.to_json() for item in items],
            }
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            print(commitments_text(engine, document, items) + "\n", flush=True)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from retrieval.evaluate.questions import evaluate

    if args.squad:
        status = _eval_squad(args.squad)
        if not args.sets or status:
            return status
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


def squad_corpora_dir(cache_dir: Path) -> Path:
    """Where the corpora made from SQuAD files go: beside the index cache folder, not in it (a
    corpus folder inside the cache folder is refused, see retrieval.index.trust)."""
    return cache_dir.with_name(f"{cache_dir.name}-squad")


def _eval_squad(files: Sequence[Path]) -> int:
    """Each SQuAD-format file as a corpus of its own: speechbot's figures and plain rank-bm25's."""
    from retrieval.evaluate.squad import evaluate_engine, evaluate_plain_bm25, load_squad
    from retrieval.index.cache import default_cache_dir

    missing = [p for p in files if not p.is_file()]
    if missing:
        print("找不到评测集：" + "、".join(map(str, missing)), file=sys.stderr)
        return 2
    for path in files:
        squad = load_squad(path, squad_corpora_dir(default_cache_dir()))
        result = evaluate_engine(_engine(squad.folder), squad)
        print(result.summary(), flush=True)
        for failure in result.failures:
            print(f"  ✗ {failure}")
        print(evaluate_plain_bm25(squad).summary(), flush=True)
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from retrieval.evaluate.questions import names_documents
    from retrieval.evaluate.refusal_fit import figures as refusal_figures
    from retrieval.evaluate.refusal_fit import fit_refusal, write_refusal
    from retrieval.evaluate.tuning import figures, tune, write_weights
    from retrieval.index.cache import default_cache_dir
    from retrieval.search.refusal import REFUSAL_FILE
    from retrieval.search.scoring import WEIGHTS_FILE

    yaml_sets = sorted(DEFAULT_EVAL.glob("*.yaml")) + sorted(PROJECT_EVAL.glob("*.yaml"))
    seed_sets = [p for p in yaml_sets if not names_documents(p)]
    corpora = [(args.corpus, yaml_sets), (args.corpus / "seed", seed_sets)]
    squad_files = args.squad or sorted((DEFAULT_EVAL / "external").glob("*.json"))
    weights, table = tune(corpora, squad_files, squad_corpora_dir(default_cache_dir()))
    for entry in sorted(
        figures(table, weights.vector(), weights.min_coverage).values(), key=lambda f: (f.name, f.split)
    ):
        print(entry.line())
    print(
        f"min_coverage {weights.min_coverage}; weights "
        + ", ".join(f"{k} {v:g}" for k, v in weights.weights.items())
    )
    refusal, asked = fit_refusal(corpora, squad_files, squad_corpora_dir(default_cache_dir()), weights)
    print("refusal model (question level):")
    for line in refusal_figures(refusal, asked):
        print("  " + line.line())
    print(
        f"threshold {refusal.threshold:g}; bias {refusal.bias:g}; weights "
        + ", ".join(f"{k} {v:g}" for k, v in refusal.weights.items())
    )
    if args.write:
        path = args.write if args.write != Path("-") else WEIGHTS_FILE
        write_weights(weights, path)
        write_refusal(
            refusal, REFUSAL_FILE if path == WEIGHTS_FILE else path.with_name(f"{path.stem}-refusal.yaml")
        )
    return 0


def _asker(corpus: Path):
    from bot.service.answering import Asker
    from bot.service.holder import EngineHolder, Stats

    return Asker(EngineHolder(corpus), Stats())


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.service.chat import run_chat

    return run_chat(_asker(args.corpus))


def _serve_overrides(args: argparse.Namespace) -> dict:
    keys = (
        "corpus",
        "webhook_url",
        "listen",
        "port",
        "secret_token",
        "api_base_url",
        "redis_url",
        "corpus_store_url",
    )
    overrides = {key: getattr(args, key, None) for key in keys}
    overrides["admins"] = getattr(args, "admin", None)
    return overrides


def cmd_serve(args: argparse.Namespace) -> int:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"请设置环境变量 {TOKEN_ENV}（Telegram 机器人令牌）", file=sys.stderr)
        return 2
    from bot.ops.logs import install_excepthook

    install_excepthook(secrets=(token,))  # until serve() sets up logging with the secret as well
    try:
        settings = build_settings(args.config, _serve_overrides(args))
        check_serving(settings)
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
    parser.add_argument(
        "--secret-token",
        help="webhook secret token checked on every update (32+ random characters; "
        "better in $SPEECHBOT_SECRET_TOKEN, which ps does not show)",
    )
    parser.add_argument("--api-base-url", help="Bot API base URL, e.g. http://127.0.0.1:8081/bot")
    parser.add_argument("--admin", type=int, action="append", help="admin Telegram user id (repeatable)")
    parser.add_argument(
        "--redis-url",
        help="Redis shared by the replicas, e.g. redis://127.0.0.1:6379/0 ($SPEECHBOT_REDIS_URL)",
    )
    parser.add_argument(
        "--corpus-store-url",
        help="S3-compatible corpus store, e.g. http://minio:9000/speechbot/corpus ($SPEECHBOT_CORPUS_STORE_URL)",
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="speechbot", description="Quoted answers from a corpus of speeches.")
    sub = top.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer questions in the terminal")
    ask.add_argument("questions", nargs="+", metavar="QUESTION", help="questions; - reads them from stdin")
    _corpus_option(ask)
    ask.add_argument("--top", type=int, default=3, help="passages per question (default 3)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question per line")
    ask.add_argument(
        "--explain",
        action="store_true",
        help="after each hit, its feature values and what each adds to its score",
    )
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

    pledges = sub.add_parser(
        "commitments", help="commitments of a speech by part, each with its kind (target, programme…)"
    )
    pledges.add_argument("doc", nargs="?", metavar="DOC", help="doc id or a unique part of it (default: all)")
    _corpus_option(pledges)
    pledges.add_argument("--json", action="store_true", help="one JSON object per speech per line")
    pledges.add_argument("--csv", action="store_true", help="CSV (UTF-8 with BOM) on stdout")
    pledges.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="KIND",
        help="only these kinds: directive, target, deadline, programme (or forecast, result: "
        "statements that are no commitments); repeatable or comma-separated; 目标/项目/要求/期限 too",
    )
    pledges.add_argument(
        "--horizon",
        action="append",
        default=[],
        metavar="HORIZON",
        help="only commitments for this_year, plan_period or later (今年/规划期/远期)",
    )
    pledges.add_argument(
        "--score",
        type=Path,
        metavar="LABELS",
        help="precision/recall on a labelled YAML file (by kind and field for eval/labels/commitment_kinds.yaml)",
    )
    pledges.set_defaults(func=cmd_commitments)

    evaluation = sub.add_parser("eval", help="run YAML question sets")
    evaluation.add_argument(
        "sets", nargs="*", metavar="SET", help=f"YAML files (default {DEFAULT_EVAL}/*.yaml and eval/*.yaml)"
    )
    evaluation.add_argument(
        "--squad",
        nargs="+",
        type=Path,
        default=[],
        metavar="FILE",
        help="SQuAD-format JSON sets, each run as its own corpus beside plain rank-bm25 (YAML sets only if named)",
    )
    _corpus_option(evaluation)
    evaluation.set_defaults(func=cmd_eval)

    tuning = sub.add_parser(
        "tune",
        help="fit the ranking weights, the refusal threshold and the refusal model on the question sets",
    )
    tuning.add_argument("--squad", nargs="+", type=Path, default=[], metavar="FILE", help="SQuAD-format sets")
    tuning.add_argument(
        "--write",
        type=Path,
        nargs="?",
        const=Path("-"),
        metavar="FILE",
        help="write the weights file (default retrieval/data/weights.yaml) and the refusal model beside it (retrieval/data/refusal.yaml, or FILE-refusal.yaml)",
    )
    _corpus_option(tuning)
    tuning.set_defaults(func=cmd_tune)

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
