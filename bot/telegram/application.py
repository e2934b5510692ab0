"""The Application assembled in one place, and `serve` (polling or webhook)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterable
from urllib.parse import urlparse

from telegram import BotCommandScopeChat, BotCommandScopeDefault, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.config import Settings
from bot.ops import logs
from bot.ops.metrics import Metrics, Timer, observe_reload
from bot.ops.web import Status, start_server, stop_server, web_application
from bot.service.holder import EngineHolder, ReloadReport
from bot.service.replicas import Replicas, replica_id
from bot.telegram import texts
from bot.telegram.handlers import admin, answers, browsing, buttons, commitments, errors
from bot.telegram.replication import rate_limiter, reload_everywhere, replicas_for
from bot.telegram.state import BotState

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
LOG_FORMAT = logs.TEXT_FORMAT
RATE_LIMIT_RETRIES = 2
# Exactly the update types the handlers take: no business_message (a Telegram Business
# chat is someone else's conversation), no channel posts, no chat-member events.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]


async def set_commands(app: Application) -> None:
    """The command menu; admins get theirs per chat. Failure (e.g. an emulator's 404) is logged."""
    state: BotState = app.bot_data["state"]
    try:
        await app.bot.set_my_commands(texts.USER_COMMANDS, scope=BotCommandScopeDefault())
        for admin in state.settings.admins:
            await app.bot.set_my_commands(texts.ADMIN_COMMANDS, scope=BotCommandScopeChat(admin))
    except TelegramError as err:
        log.warning("set_my_commands failed (%s: %s); continuing", type(err).__name__, err)


def add_handlers(app: Application) -> None:
    """Messages only from private chats, groups and supergroups, and never Business messages
    (whatever allowed_updates lets through): commands, text, documents."""
    messages = filters.UpdateType.MESSAGES  # message and edited_message
    private = messages & filters.ChatType.PRIVATE
    groups = messages & filters.ChatType.GROUPS
    chats = private | groups
    app.add_handler(CommandHandler(["start", "help"], answers.on_start, filters=chats))
    app.add_handler(CommandHandler("ask", answers.on_ask, filters=chats))
    app.add_handler(CommandHandler("speeches", browsing.on_speeches, filters=chats))
    app.add_handler(CommandHandler("outline", browsing.on_outline, filters=chats))
    app.add_handler(CommandHandler("reload", admin.on_reload, filters=chats))
    app.add_handler(CommandHandler("stats", admin.on_stats, filters=chats))
    app.add_handler(CommandHandler("rollback", admin.on_rollback, filters=chats))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private, answers.on_private_text))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & groups, answers.on_group_text))
    app.add_handler(MessageHandler(filters.Document.ALL & private, admin.on_document))
    app.add_handler(CommandHandler("commitments", commitments.on_commitments, filters=chats))
    app.add_handler(MessageHandler(filters.COMMAND & chats, browsing.on_unknown_command))
    app.add_handler(CallbackQueryHandler(commitments.on_button, pattern=commitments.CALLBACK_PATTERN))
    app.add_handler(CallbackQueryHandler(buttons.on_button))
    app.add_handler(InlineQueryHandler(answers.on_inline))
    app.add_error_handler(errors.on_error)


def build_application(
    settings: Settings,
    holder: EngineHolder,
    token: str,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
    metrics: Metrics | None = None,
    replicas: Replicas | None = None,
) -> Application:
    """The bot: settings, engine holder, metrics, handlers, HTML defaults, rate limiter, start-up menu."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW))
        .post_init(set_commands)
        .concurrent_updates(True)
    )
    if settings.api_base_url and settings.base_file_url:
        builder = builder.base_url(settings.api_base_url).base_file_url(settings.base_file_url)
    if request is not None:
        builder = builder.request(request)
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    if rate_limit:
        # Retry after Telegram's 429 "retry after N s" instead of failing the reply: with several
        # processes each limiter only sees its own share of the bot's ~30 messages a second.
        # With replicas (redis_url) the limits are shared through Redis (replication.py).
        limiter = rate_limiter(replicas, metrics, RATE_LIMIT_RETRIES)
        # PTB types the default builder's limiter arguments as None; AIORateLimiter's are int.
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    app = builder.build()
    app.bot_data["state"] = BotState(settings, holder, replicas=replicas)
    app.bot_data["metrics"] = metrics if metrics is not None else Metrics()
    add_handlers(app)
    return app


def configure_logging(settings: Settings | None = None, secrets: Iterable[str | None] = ()) -> None:
    """INFO logs to stderr, text or JSON lines, the token and webhook secret masked, no request URLs."""
    json_lines = settings is not None and settings.log_format == "json"
    logs.configure(json_lines=json_lines, secrets=secrets)


def serve(settings: Settings, token: str) -> None:
    """Run by long polling, or by webhook when webhook_url is set, until SIGTERM/SIGINT.

    The HTTP endpoints start first (/healthz says "loading"), then the index is loaded, then
    updates are taken. SIGHUP reloads the corpus, like /reload.
    """
    configure_logging(settings, secrets=(token, settings.secret_token))
    try:
        asyncio.run(run(settings, token))
    except KeyboardInterrupt:
        return
    except InvalidToken as err:  # 401/404 from the Bot API: the message holds the token (masked here)
        log.critical("the Bot API refused the token (check $TELEGRAM_BOT_TOKEN and --api-base-url): %s", err)
        raise SystemExit(1) from None
    except Exception:
        log.critical("stopped by an error", exc_info=True)
        raise SystemExit(1) from None


async def run(settings: Settings, token: str, stop: asyncio.Event | None = None) -> None:
    """`serve` inside an event loop; returns when ``stop`` is set (or on SIGTERM/SIGINT)."""
    stop = stop or asyncio.Event()
    metrics = Metrics()
    status = Status()
    loop = asyncio.get_running_loop()
    background: set[asyncio.Task] = set()
    replicas = replicas_for(settings, metrics)
    status.extra["replica"] = replicas.replica if replicas is not None else replica_id(settings.port)

    def reload_on_signal() -> None:
        if status.holder is None or not status.ready:
            log.warning("SIGHUP ignored: the index is not loaded yet")
            return
        if replicas is not None:
            task: asyncio.Task = loop.create_task(reload_everywhere(replicas, "signal"))
        else:
            task = loop.create_task(reload_and_report(status.holder, metrics, "signal"))
        background.add(task)
        task.add_done_callback(background.discard)

    handled = _install_signals(loop, stop, reload_on_signal)
    servers = []
    try:
        if settings.webhook_url:
            path = urlparse(settings.webhook_url).path or "/"
            web = web_application(status, metrics, path, settings.secret_token)
            servers.append(await start_server(web, settings.listen, settings.port, metrics))
            log.info("webhook server on %s:%d: %s, /healthz, /metrics", settings.listen, settings.port, path)
        if settings.metrics_port:
            web = web_application(status, metrics)
            servers.append(await start_server(web, settings.metrics_listen, settings.metrics_port, metrics))
            log.info("health and metrics on %s:%d", settings.metrics_listen, settings.metrics_port)

        if replicas is not None:
            await replicas.prepare(settings.corpus)
        log.info("loading corpus %s", settings.corpus)
        timer = Timer()
        holder = await asyncio.to_thread(EngineHolder, settings.corpus)
        engine = holder.engine
        metrics.index_load_seconds.set(timer())
        metrics.watch(holder)
        status.holder = holder
        log.info(
            "indexed %d documents, %d passages in %.1f s (index built in %.1f s)",
            len(engine.documents),
            len(engine.passages),
            timer(),
            engine.build_seconds,
        )
        if stop.is_set():  # SIGTERM while loading
            return
        if replicas is not None:
            replicas.start(holder)
        app = build_application(settings, holder, token, metrics=metrics, replicas=replicas)
        async with app:
            if app.post_init:
                await app.post_init(app)
            await app.start()
            try:
                if settings.webhook_url:
                    status.bot, status.update_queue = app.bot, app.update_queue
                    await app.bot.set_webhook(
                        settings.webhook_url,
                        secret_token=settings.secret_token,
                        allowed_updates=ALLOWED_UPDATES,
                    )
                elif app.updater is not None:
                    await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
                else:
                    raise RuntimeError("long polling needs the Application's updater")
                status.state = "ready"
                metrics.ready.set(1)
                mode = f"webhook {settings.webhook_url}" if settings.webhook_url else "long polling"
                log.info("ready (%s)", mode)
                await stop.wait()
                log.info("stopping")
            finally:
                status.state = "stopping"
                metrics.ready.set(0)
                if app.updater and app.updater.running:
                    await app.updater.stop()
                await app.stop()
    finally:
        status.state = "stopping"
        if replicas is not None:
            await replicas.stop()
        for server in servers:
            await stop_server(server)
        for signum in handled:
            loop.remove_signal_handler(signum)


def _install_signals(
    loop: asyncio.AbstractEventLoop, stop: asyncio.Event, reload: Callable[[], None]
) -> list:
    """SIGTERM/SIGINT stop, SIGHUP reloads; only where the loop supports it (main thread, Unix)."""
    handled = []
    for signum, callback in ((signal.SIGTERM, stop.set), (signal.SIGINT, stop.set), (signal.SIGHUP, reload)):
        try:
            loop.add_signal_handler(signum, callback)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        handled.append(signum)
    return handled


async def reload_and_report(holder: EngineHolder, metrics: Metrics, via: str) -> ReloadReport:
    """A reload outside Telegram (SIGHUP): counted and logged like /reload."""
    report = await holder.reload()
    observe_reload(metrics, report, via)
    return report
