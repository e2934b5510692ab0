"""Every inline button but the commitments pages: callback data decoded, then handed to its kind."""

from __future__ import annotations

from telegram import (
    Update,
)
from telegram.ext import ContextTypes

from bot.service.limits import Refused
from bot.telegram import texts
from bot.telegram.callbacks import decode
from bot.telegram.handlers.answers import chosen_button, page_button, paragraph_button
from bot.telegram.handlers.browsing import list_button, outline_button, part_button
from bot.telegram.handlers.common import query_of


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every inline button; unknown or unresolvable data gets the stale alert."""
    query = query_of(update)
    callback = decode(query.data)
    try:
        handled = callback is not None and await BUTTONS[callback.kind](update, context, callback)
    except Refused as refusal:  # the user's limit: say so, nothing else happens
        await query.answer(str(refusal), show_alert=True)
        return
    if handled:
        await query.answer()
    else:
        await query.answer(texts.STALE, show_alert=True)


BUTTONS = {"m": page_button, "p": paragraph_button, "s": part_button, "l": list_button, "o": outline_button}
BUTTONS |= {"w": chosen_button}
