"""Settings for `speechbot serve`: defaults, a YAML file, then the command line (which wins)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT / "corpus"
DEFAULT_EVAL = PROJECT_ROOT.parent / "shared" / "eval"  # the development sets, beside the checkout
PROJECT_EVAL = PROJECT_ROOT / "eval"  # the project's own sets (off-topic questions)
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
CORPUS_ENV = "SPEECHBOT_CORPUS"
SECRET_ENV = "SPEECHBOT_SECRET_TOKEN"  # the webhook secret, kept off the command line (ps shows it)
REDIS_ENV = "SPEECHBOT_REDIS_URL"
CORPUS_STORE_ENV = "SPEECHBOT_CORPUS_STORE_URL"
MAX_QUESTION_CHARS = 500
MAX_QUESTION_WORDS = 50  # ordinary questions have under 20; each word costs search time
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
LOG_FORMATS = ("text", "json")
MIN_SECRET_CHARS = 32
MIN_SECRET_DISTINCT = 10  # `openssl rand -hex 32` has 16 distinct characters; "aaaa…" or "abab…" has few
SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as a secret_token
PLACEHOLDER_WORDS = ("change", "placeholder", "example", "secret", "replace", "your", "token", "xxxx")
GENERATE_SECRET = "openssl rand -hex 32"


POSITIVE_INTEGERS = (
    "context_seconds",
    "top",
    "max_question_chars",
    "max_question_words",
    "max_upload_bytes",
    "user_questions_in_flight",
    "user_questions_per_minute",
    "concurrent_searches",
)


class ConfigError(ValueError):
    """A configuration file or value that cannot be used."""


def default_corpus() -> Path:
    """$SPEECHBOT_CORPUS, else corpus/ in the project."""
    return Path(os.environ.get(CORPUS_ENV) or DEFAULT_CORPUS)


def environment_value(name: str) -> str | None:
    """A setting from the environment, None when unset or empty."""
    return os.environ.get(name, "").strip() or None


@dataclass
class Settings:
    corpus: Path = field(default_factory=default_corpus)
    admins: list[int] = field(default_factory=list)
    webhook_url: str | None = None  # None: long polling
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = None
    api_base_url: str | None = None  # e.g. http://127.0.0.1:8081/bot; None: api.telegram.org
    top: int = 3
    max_question_chars: int = MAX_QUESTION_CHARS
    max_question_words: int = MAX_QUESTION_WORDS
    user_questions_in_flight: int = 2  # one user's questions being answered at once; more: "please wait"
    user_questions_per_minute: int = 20  # one user's questions in any minute; more: "too often"
    concurrent_searches: int = 2  # searches running at once, across all users (about the cores)
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    log_format: str = "text"  # "json": one JSON object per log line
    log_questions: bool = False  # True: answered-question log lines carry the question's text
    metrics_listen: str = "127.0.0.1"
    metrics_port: int | None = None  # a separate port for /healthz and /metrics (polling or webhook)
    context_seconds: int = 1800  # how long a chat's conversation context (follow-ups, 还有吗) is kept
    # Several replicas, one bot (bot/service/replicas.py): None keeps everything in this process.
    redis_url: str | None = field(default_factory=lambda: environment_value(REDIS_ENV))
    corpus_store_url: str | None = field(default_factory=lambda: environment_value(CORPUS_STORE_ENV))

    @property
    def base_file_url(self) -> str | None:
        """The file URL that goes with api_base_url: http://h:p/bot -> http://h:p/file/bot."""
        if not self.api_base_url:
            return None
        base = self.api_base_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admins

    def update(self, values: dict[str, Any]) -> Settings:
        """Apply non-None values (from a file or the command line), converting types."""
        known = {f.name for f in fields(self)}
        for key, value in values.items():
            name = key.replace("-", "_")
            if name not in known:
                raise ConfigError(f"unknown setting: {key}")
            if value is None:
                continue
            try:
                setattr(self, name, _convert(name, value))
            except (TypeError, ValueError) as err:
                raise ConfigError(f"bad value for {key}: {value!r}") from err
        return self


def _convert(name: str, value: Any) -> Any:
    if name == "corpus":
        return Path(value).expanduser()
    if name == "admins":
        items = value if isinstance(value, list | tuple) else [value]
        return [int(item) for item in items]
    if name in POSITIVE_INTEGERS:
        number = int(value)
        if number < 1:
            raise ValueError(value)
        return number
    if name in ("port", "metrics_port"):
        return int(value)
    if name == "log_questions":
        return _boolean(value)
    if name == "log_format":
        if str(value) not in LOG_FORMATS:
            raise ValueError(value)
        return str(value)
    return str(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


def load_file(path: Path | str) -> dict[str, Any]:
    """The settings mapping of a YAML file (relative corpus paths resolve against the file)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read config {path}: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} must be a mapping of settings")
    if "token" in data or "telegram_bot_token" in data:
        raise ConfigError(f"put the token in ${TOKEN_ENV}, not in {path}")
    if data.get("corpus") and not Path(str(data["corpus"])).expanduser().is_absolute():
        data["corpus"] = path.parent / str(data["corpus"])
    return data


def build_settings(config_file: Path | str | None, overrides: dict[str, Any]) -> Settings:
    """Defaults, then the YAML file, then $SPEECHBOT_SECRET_TOKEN, then command-line overrides
    (None means not given)."""
    settings = Settings()
    if config_file:
        settings.update(load_file(config_file))
    settings.update({"secret_token": os.environ.get(SECRET_ENV, "").strip() or None})
    return settings.update(overrides)


def secret_problem(secret: str | None) -> str | None:
    """Why a webhook secret token is unfit (missing, short, a placeholder, not random), or None."""
    how = f"generate one with `{GENERATE_SECRET}`"
    if not secret:
        return f"webhook mode needs a secret token (secret_token or ${SECRET_ENV}): {how}"
    if not SECRET_CHARS.fullmatch(secret):
        return f"the webhook secret token may hold only A-Z, a-z, 0-9, _ and - (at most 256): {how}"
    if len(secret) < MIN_SECRET_CHARS:
        return f"the webhook secret token has {len(secret)} characters, at least {MIN_SECRET_CHARS} needed: {how}"
    lowered = secret.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return f"the webhook secret token is a placeholder, not a secret: {how}"
    if len(set(secret)) < MIN_SECRET_DISTINCT:
        return f"the webhook secret token is not random (too few distinct characters): {how}"
    return None


def check_serving(settings: Settings) -> None:
    """Refuse settings the bot must not serve with: webhook mode without a fit secret token."""
    if settings.webhook_url:
        problem = secret_problem(settings.secret_token)
        if problem:
            raise ConfigError(problem)
