"""An offline Bot API for handler tests, in python-telegram-bot's own style: a BaseRequest
that records every call and answers with canned JSON, plus builders for Update dicts."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.request import BaseRequest, RequestData

BOT_ID = 999
BOT_USERNAME = "speech_bot"
TOKEN = "999:TEST"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Speech", "username": BOT_USERNAME}


class RecordingRequest(BaseRequest):
    """Records (method, parameters); answers like the Bot API would, offline."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.files: dict[str, bytes] = {}
        self.failing: dict[str, TelegramError] = {}
        self._ids = itertools.count(5000)

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:
            return 200, self.files[url.rsplit("/", 1)[-1]]
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        self.calls.append((name, params))
        if name in self.failing:
            raise self.failing[name]
        result = self.result(name, params)
        if isinstance(result, dict) and "message_id" in result:
            params.setdefault("message_id", result["message_id"])
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return {**BOT_USER, "can_join_groups": True, "supports_inline_queries": True}
        if name in ("sendMessage", "editMessageText"):
            message_id = params.get("message_id") or next(self._ids)
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": params["chat_id"], "type": "private"},
                "from": BOT_USER,
                "text": params["text"],
            }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return message
        if name == "getFile":
            return {"file_id": params["file_id"], "file_unique_id": "u1", "file_path": params["file_id"]}
        return True

    # ---- what the bot did ---------------------------------------------------
    def sent(self, *methods: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if not methods or name in methods]

    def last(self, method: str) -> dict[str, Any]:
        found = self.sent(method)
        assert found, f"no {method} among {[name for name, _ in self.calls]}"
        return found[-1]

    def clear(self) -> None:
        self.calls.clear()


_update_ids = itertools.count(1)
_message_ids = itertools.count(100)


def user(user_id: int) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"}


def chat(chat_id: int, chat_type: str = "private") -> dict:
    data = {"id": chat_id, "type": chat_type}
    if chat_type != "private":
        data["title"] = "Test group"
    return data


def message(
    text: str,
    user_id: int = 7,
    chat_id: int | None = None,
    chat_type: str = "private",
    reply_to: dict | None = None,
    **extra: Any,
) -> dict:
    data: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "from": user(user_id),
        "chat": chat(chat_id if chat_id is not None else user_id, chat_type),
        "text": text,
    }
    entities = []
    if text.startswith("/"):
        entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
    mention = f"@{BOT_USERNAME}"
    if mention in text:
        entities.append({"type": "mention", "offset": text.index(mention), "length": len(mention)})
    if entities:
        data["entities"] = entities
    if reply_to is not None:
        data["reply_to_message"] = reply_to
    data.update(extra)
    return data


def bot_message(sent: dict, reply_to: dict | None = None, chat_type: str = "private") -> dict:
    """The bot's message as Telegram would deliver it inside a callback query."""
    data = {
        "message_id": sent["message_id"],
        "date": int(time.time()),
        "from": BOT_USER,
        "chat": chat(sent["chat_id"], chat_type),
        "text": sent["text"],
    }
    if reply_to is not None:
        data["reply_to_message"] = reply_to
    return data


def update(bot, **payload: Any) -> Update:
    return Update.de_json({"update_id": next(_update_ids), **payload}, bot)


def callback(bot, data: str, msg: dict, user_id: int = 7) -> Update:
    return update(
        bot,
        callback_query={
            "id": str(next(_update_ids)),
            "from": user(user_id),
            "chat_instance": "1",
            "message": msg,
            "data": data,
        },
    )


def buttons(params: dict) -> list[dict]:
    markup = params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b for row in markup.get("inline_keyboard", []) for b in row]
