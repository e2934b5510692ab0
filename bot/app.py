"""The Application assembled in one place, and `serve` (polling or webhook)."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from telegram import BotCommandScopeChat, BotCommandScopeDefault, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
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

from bot import handlers, texts
from bot.config import Settings
from bot.holder import EngineHolder
from bot.state import BotState

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    app.add_handler(CommandHandler(["start", "help"], handlers.on_start))
    app.add_handler(CommandHandler("ask", handlers.on_ask))
    app.add_handler(CommandHandler("speeches", handlers.on_speeches))
    app.add_handler(CommandHandler("reload", handlers.on_reload))
    app.add_handler(CommandHandler("stats", handlers.on_stats))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private, handlers.on_private_text))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & groups, handlers.on_group_text))
    app.add_handler(MessageHandler(filters.Document.ALL & private, handlers.on_document))
    app.add_handler(CallbackQueryHandler(handlers.on_button))
    app.add_handler(InlineQueryHandler(handlers.on_inline))
    app.add_error_handler(handlers.on_error)


def build_application(
    settings: Settings,
    holder: EngineHolder,
    token: str,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
) -> Application:
    """The bot: settings, engine holder, handlers, HTML defaults, rate limiter, start-up menu."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)
        )
        .post_init(set_commands)
        .concurrent_updates(True)
    )
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url).base_file_url(settings.base_file_url)
    if request is not None:
        builder = builder.request(request)
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter())
    app = builder.build()
    app.bot_data["state"] = BotState(settings, holder)
    add_handlers(app)
    return app


def configure_logging() -> None:
    """INFO logs without URLs: httpx logs each request URL, which contains the token."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def serve(settings: Settings, token: str) -> None:
    """Load the corpus, then run by long polling, or by webhook when webhook_url is set."""
    configure_logging()
    log.info("loading corpus %s", settings.corpus)
    holder = EngineHolder(settings.corpus)
    engine = holder.engine
    log.info(
        "indexed %d documents, %d passages in %.1f s",
        len(engine.documents),
        len(engine.passages),
        engine.build_seconds,
    )
    app = build_application(settings, holder, token)
    if settings.webhook_url:
        app.run_webhook(
            listen=settings.listen,
            port=settings.port,
            url_path=urlparse(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=settings.secret_token,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
