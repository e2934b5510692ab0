"""Throw-away PTB v22 bot used only to prove the e2e harness works.

    python echo_bot.py --api-base-url http://127.0.0.1:EMU/bot --webhook-url http://127.0.0.1:P/telegram \
        --listen 127.0.0.1 --port P [--secret-token S]      (token from TELEGRAM_BOT_TOKEN)

* text (private or group)  -> "echo: <text>" + inline button (callback_data "press:<text>")
* button                   -> answerCallbackQuery("pressed") + edit the same message to "edited: <data>"
* inline query             -> one article "inline: <query>"
* document                 -> downloads it (getFile + file URL), replies "doc <name> <n> bytes <sha12>"
* start-up                 -> set_my_commands in post_init (telemelya 404s it; logged, not fatal)
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

log = logging.getLogger("echo_bot")


def file_base_from_api_base(api_base_url: str) -> str:
    """http://h:p/bot -> http://h:p/file/bot (telemelya serves /file/bot{token}/{path})."""
    base = api_base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    text = msg.text or ""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Press me", callback_data=f"press:{text}"[:64])]])
    await msg.reply_text(f"echo: {text} [{update.effective_chat.type}]", reply_markup=markup)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("pressed")
    await query.edit_message_text(
        f"edited: {query.data} (was: {query.message.text if query.message else None})"
    )


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    q = update.inline_query
    await q.answer(
        [
            InlineQueryResultArticle(
                id="1",
                title=f"inline: {q.query}",
                input_message_content=InputTextMessageContent(f"inline: {q.query}"),
            )
        ],
        cache_time=0,
    )


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    doc = update.effective_message.document
    tg_file = await doc.get_file()
    data = bytes(await tg_file.download_as_bytearray())
    digest = hashlib.sha256(data).hexdigest()[:12]
    await update.effective_message.reply_text(f"doc {doc.file_name} {len(data)} bytes {digest}")


async def post_init(app: Application) -> None:
    try:
        await app.bot.set_my_commands([BotCommand("start", "start the bot")])
        log.info("set_my_commands ok")
    except TelegramError as exc:  # telemelya: HTTP 404 -> InvalidToken
        log.warning("set_my_commands failed (%s: %s); continuing", type(exc).__name__, exc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--api-base-url", required=True)
    ap.add_argument("--webhook-url", required=True)
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret-token")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    app = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(args.api_base_url)
        .base_file_url(file_base_from_api_base(args.api_base_url))
        .post_init(post_init)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, on_text))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(InlineQueryHandler(on_inline))

    app.run_webhook(
        listen=args.listen,
        port=args.port,
        url_path=urlparse(args.webhook_url).path.lstrip("/"),
        webhook_url=args.webhook_url,
        secret_token=args.secret_token,
        allowed_updates=Update.ALL_TYPES,
    )


if __name__ == "__main__":
    main()
