"""End-to-end harness: a real bot process in webhook mode against the telemelya emulator.

Pieces (all on 127.0.0.1, free ports, torn down at the end):

* ``redis-server``  -- telemelya's state store (no persistence, temp dir)
* moto S3 server    -- telemelya's media store ("MinIO" in its config)
* telemelya         -- fake Bot API + control API, run under uvicorn
* the bot           -- any command line; started per test by :class:`BotProcess`

How PTB talks to telemelya (checked against telemelya 0.2.2 and PTB 22.8):

* Bot API:   ``POST {emu}/bot{token}/{method}``  -> PTB ``base_url=f"{emu}/bot"``
* files:     ``GET  {emu}/file/bot{token}/{file_path}`` -> PTB ``base_file_url=f"{emu}/file/bot"``
* ``setWebhook`` only stores ``url`` (Redis key ``webhook:{token}``); secret_token,
  allowed_updates, drop_pending_updates ... are ignored.  PTB calls setWebhook
  *before* its webhook server listens, so readiness = webhook registered AND the
  port accepts connections.
* telemelya delivers an update by ``POST``-ing JSON to the stored URL with aiohttp.
  It does NOT send ``X-Telegram-Bot-Api-Secret-Token``: a bot started with a secret
  token answers 403 and telemelya still reports ``delivered: true`` (we check
  ``status_code``).  The "direct" transport below sends the header itself.
* Methods telemelya lacks (setMyCommands, sendDocument, getChat, ...) answer HTTP 404,
  which PTB raises as ``telegram.error.InvalidToken`` (not BadRequest).

Everything the bot sends is recorded per *test session*.  telemelya picks the
session of a Bot API call from the ``chat_id`` (mapping ``chat_session:{chat_id}``
written when an update for that chat is injected), from the callback_query id
(answerCallbackQuery) or from the inline_query id (answerInlineQuery); calls it
cannot attribute land in session ``"default"``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.ports import LOCALHOST, free_port
from tests.support.redis_server import answers_ping, find_redis_server

DEFAULT_TOKEN = "123456:TEST"
#: The webhook secret every speechbot under test runs with (webhook mode refuses to start without one).
E2E_SECRET = "e2e0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9"
CONTROL_KEY = "e2e-control-key"
S3_BUCKET = "telemelya-media"
S3_KEY = "testing"

#: Methods a test normally waits for (sendChatAction is noise).
REPLY_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "deleteMessage",
        "answerCallbackQuery",
        "answerInlineQuery",
    }
)


def speechbot_command(corpus: Path | str, admin: int, *options: str) -> list[str]:
    """`python -m bot serve` in webhook mode against the emulator, with the secret E2E_SECRET
    unless the options give one; BotProcess fills the {api_base_url}, {webhook_url} and {port}
    placeholders."""
    if "--secret-token" not in options:
        options = ("--secret-token", E2E_SECRET, *options)
    return [
        sys.executable, "-m", "bot", "serve",
        "--api-base-url", "{api_base_url}",
        "--webhook-url", "{webhook_url}",
        "--listen", LOCALHOST,
        "--port", "{port}",
        "--admin", str(admin),
        "--corpus", str(corpus),
        *options,
    ]  # fmt: skip


class HarnessError(RuntimeError):
    """A service or the bot could not be started / did not behave."""


class ServicesUnavailable(HarnessError):
    """A required program or package is missing (fixtures skip, or fail under CI)."""


# --------------------------------------------------------------------------- helpers


def port_open(port: int, host: str = LOCALHOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _tail(path: Path | None, n: int = 40) -> str:
    if path is None or not path.exists():
        return "(no log)"
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join(lines[-n:])


def local_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """os.environ with proxies disabled for 127.0.0.1, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in {"http_proxy", "https_proxy", "all_proxy"}}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.setdefault("PYTHONUNBUFFERED", "1")
    if extra:
        env.update(extra)
    return env


def check_prerequisites() -> str:
    """Return the redis-server path or raise :class:`ServicesUnavailable`."""
    redis_bin = find_redis_server()
    if redis_bin is None:
        raise ServicesUnavailable(
            "redis-server not found on PATH (run .ci/e2e-services.sh, i.e. apt-get install redis-server)"
        )
    missing = []
    for mod in ("telemelya", "moto", "uvicorn", "redis"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        raise ServicesUnavailable(
            f"python packages missing: {', '.join(missing)} "
            "(pip install -e '.[e2e]', i.e. telemelya 'moto[server]' httpx)"
        )
    return redis_bin


class ManagedProcess:
    """A child process with its own log file, started in a new session, stopped by its pid."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        self.name = name
        self.args = [str(a) for a in args]
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _flush(self) -> None:
        if not self._log.closed:  # tail() is also called after stop(), for failure reports
            self._log.flush()

    def log_text(self) -> str:
        self._flush()
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, n: int = 40) -> str:
        self._flush()
        return _tail(self.log_path, n)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL (our own process group only)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)  # group == our child's own session
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=5)
        # Reap grandchildren left in the child's own process group, if any.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self._log.close()
        return self.proc.returncode


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    proc: ManagedProcess | None = None,
    interval: float = 0.1,
) -> None:
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise HarnessError(
                f"{proc.name} exited with {proc.proc.returncode} while waiting for {what}:\n{proc.tail()}"
            )
        try:
            if check():
                return
        except Exception as exc:
            last_exc = exc
        time.sleep(interval)
    log = f"\n--- {proc.name} log ---\n{proc.tail()}" if proc is not None else ""
    raise HarnessError(f"timed out after {timeout}s waiting for {what} (last error: {last_exc!r}){log}")


# --------------------------------------------------------------------------- services


@dataclass
class Services:
    """Redis + moto S3 + telemelya, all on 127.0.0.1. Use :meth:`start` / :meth:`stop`."""

    workdir: Path
    redis_port: int = 0
    s3_port: int = 0
    emu_port: int = 0
    control_key: str = CONTROL_KEY
    procs: dict[str, ManagedProcess] = field(default_factory=dict)

    # URLs ------------------------------------------------------------------
    @property
    def emu_url(self) -> str:
        return f"http://{LOCALHOST}:{self.emu_port}"

    @property
    def api_base_url(self) -> str:
        """PTB ``base_url`` (PTB appends the token): ``http://127.0.0.1:P/bot``."""
        return f"{self.emu_url}/bot"

    @property
    def file_base_url(self) -> str:
        """PTB ``base_file_url`` (PTB appends the token): ``http://127.0.0.1:P/file/bot``."""
        return f"{self.emu_url}/file/bot"

    @property
    def redis_url(self) -> str:
        return f"redis://{LOCALHOST}:{self.redis_port}/0"

    @property
    def s3_url(self) -> str:
        return f"http://{LOCALHOST}:{self.s3_port}"

    # lifecycle ---------------------------------------------------------------
    @classmethod
    def start(cls, workdir: Path | None = None, *, timeout: float = 30.0) -> Services:
        redis_bin = check_prerequisites()
        workdir = Path(workdir or tempfile.mkdtemp(prefix="e2e-services-"))
        workdir.mkdir(parents=True, exist_ok=True)
        svc = cls(workdir=workdir)
        try:
            svc._start_redis(redis_bin, timeout)
            svc._start_s3(timeout)
            svc._start_telemelya(timeout)
        except BaseException:
            svc.stop()
            raise
        return svc

    def stop(self) -> None:
        for name in ("telemelya", "s3", "redis"):
            proc = self.procs.pop(name, None)
            if proc is not None:
                proc.stop(timeout=10)

    def _start_redis(self, redis_bin: str, timeout: float) -> None:
        self.redis_port = free_port()
        rdir = self.workdir / "redis"
        rdir.mkdir(exist_ok=True)
        args = [
            redis_bin,
            "--bind",
            LOCALHOST,
            "--port",
            str(self.redis_port),
            "--dir",
            str(rdir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
            "--logfile",
            "",
        ]
        proc = self.procs["redis"] = ManagedProcess(
            "redis-server", args, log_path=self.workdir / "redis.log", cwd=rdir
        )
        port = self.redis_port
        wait_until(lambda: answers_ping(port), timeout=timeout, what="redis PING", proc=proc)

    def _start_s3(self, timeout: float) -> None:
        self.s3_port = free_port()
        args = [sys.executable, "-m", "moto.server", "-H", LOCALHOST, "-p", str(self.s3_port)]
        env = local_env(
            {"AWS_ACCESS_KEY_ID": S3_KEY, "AWS_SECRET_ACCESS_KEY": S3_KEY, "AWS_DEFAULT_REGION": "us-east-1"}
        )
        proc = self.procs["s3"] = ManagedProcess(
            "moto-s3", args, log_path=self.workdir / "moto.log", env=env, cwd=self.workdir
        )
        with httpx.Client(timeout=2, trust_env=False) as http:
            wait_until(
                lambda: http.get(f"{self.s3_url}/").status_code == 200,
                timeout=timeout,
                what="moto S3 server",
                proc=proc,
            )
            # telemelya also creates it on start-up (head_bucket -> create_bucket); moto skips auth checks.
            r = http.put(f"{self.s3_url}/{S3_BUCKET}")
            if r.status_code not in (200, 409):
                raise HarnessError(f"cannot create bucket {S3_BUCKET}: {r.status_code} {r.text[:200]}")

    def telemelya_env(self) -> dict[str, str]:
        # pydantic-settings, case-insensitive; cwd is the workdir so no stray .env is read.
        return local_env(
            {
                "MOCK_SERVER_HOST": LOCALHOST,
                "MOCK_SERVER_PORT": str(self.emu_port),
                "MOCK_SERVER_URL": self.emu_url,
                "REDIS_URL": self.redis_url,
                "MINIO_ENDPOINT": f"{LOCALHOST}:{self.s3_port}",  # host:port, no scheme
                "MINIO_ACCESS_KEY": S3_KEY,
                "MINIO_SECRET_KEY": S3_KEY,
                "MINIO_BUCKET": S3_BUCKET,
                "MINIO_USE_SSL": "false",
                "AUTH_KEYS": self.control_key,
                "STRICT_EDIT": "false",
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )

    def _start_telemelya(self, timeout: float) -> None:
        self.emu_port = free_port()
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            "telemelya.server.app:app",
            "--host",
            LOCALHOST,
            "--port",
            str(self.emu_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        proc = self.procs["telemelya"] = ManagedProcess(
            "telemelya",
            args,
            log_path=self.workdir / "telemelya.log",
            env=self.telemelya_env(),
            cwd=self.workdir,
        )
        headers = {"Authorization": f"Bearer {self.control_key}"}
        with httpx.Client(timeout=2, trust_env=False) as http:

            def healthy() -> bool:
                r = http.get(f"{self.emu_url}/api/v1/test/health", headers=headers)
                return r.status_code == 200 and r.json().get("ok") is True

            wait_until(healthy, timeout=timeout, what="telemelya /api/v1/test/health", proc=proc)

    # direct access for the client -------------------------------------------
    def redis(self):  # -> redis.Redis
        import redis

        return redis.Redis(host=LOCALHOST, port=self.redis_port, decode_responses=True, socket_timeout=5)

    def bot_api(self, token: str, method: str, **params: Any) -> Any:
        """Call telemelya's Bot API side directly (e.g. getWebhookInfo)."""
        with httpx.Client(timeout=5, trust_env=False) as http:
            r = http.post(f"{self.api_base_url}{token}/{method}", json=params)
        r.raise_for_status()
        return r.json().get("result")

    def get_webhook_url(self, token: str) -> str:
        return (self.bot_api(token, "getWebhookInfo") or {}).get("url", "")

    def logs(self) -> str:
        return "\n".join(f"--- {n} ---\n{p.tail()}" for n, p in self.procs.items())


# --------------------------------------------------------------------------- the bot


PLACEHOLDERS = (
    "{port}",
    "{webhook_url}",
    "{api_base_url}",
    "{file_base_url}",
    "{token}",
    "{emu_port}",
    "{url_path}",
)


class BotProcess(ManagedProcess):
    """The bot under test, started with a command line; ready when webhook is set and port listens.

    ``args`` and ``env`` values may contain the placeholders {port} {webhook_url} {api_base_url}
    {file_base_url} {token} {emu_port} {url_path} (plain substring replacement, other braces untouched).
    """

    def __init__(
        self,
        services: Services,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        token: str = DEFAULT_TOKEN,
        port: int | None = None,
        url_path: str = "telegram",
        cwd: str | os.PathLike[str] | None = None,
        ready_timeout: float = 30.0,
        log_path: Path | None = None,
    ) -> None:
        self.services = services
        self.token = token
        self.port = port or free_port()
        self.url_path = url_path.strip("/")
        self.webhook_url = f"http://{LOCALHOST}:{self.port}/{self.url_path}"
        values = {
            "{port}": str(self.port),
            "{webhook_url}": self.webhook_url,
            "{api_base_url}": services.api_base_url,
            "{file_base_url}": services.file_base_url,
            "{token}": token,
            "{emu_port}": str(services.emu_port),
            "{url_path}": self.url_path,
        }

        def fill(s: str) -> str:
            for k, v in values.items():
                s = s.replace(k, v)
            return s

        full_env = local_env({"TELEGRAM_BOT_TOKEN": token})
        full_env.update({k: fill(str(v)) for k, v in (env or {}).items()})
        # A stale URL from an earlier bot with the same token would fake readiness.
        services.bot_api(token, "deleteWebhook")
        log_path = log_path or services.workdir / f"bot-{self.port}.log"
        super().__init__("bot", [fill(str(a)) for a in args], log_path=log_path, env=full_env, cwd=cwd)
        try:
            self.wait_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout: float) -> None:
        wait_until(
            lambda: self.services.get_webhook_url(self.token) != "",
            timeout=timeout,
            what="the bot to call setWebhook",
            proc=self,
        )
        registered = self.services.get_webhook_url(self.token)
        if registered != self.webhook_url:
            raise HarnessError(f"bot registered webhook {registered!r}, expected {self.webhook_url!r}")
        wait_until(lambda: port_open(self.port), timeout=timeout, what=f"bot port {self.port}", proc=self)

    def stop(self, timeout: float = 10.0) -> int | None:
        rc = super().stop(timeout)
        with contextlib.suppress(Exception):
            self.services.bot_api(self.token, "deleteWebhook")
        return rc


# --------------------------------------------------------------------------- test client


@dataclass
class Reply:
    """One recorded Bot API call made by the bot (a telemelya response record)."""

    method: str
    record: dict[str, Any]

    @property
    def text(self) -> str | None:
        return _as_text(self.record.get("text"))

    @property
    def chat_id(self) -> int | None:
        return self.record.get("chat_id")

    @property
    def message_id(self) -> int | None:
        return self.record.get("message_id")

    @property
    def reply_markup(self) -> dict | None:
        return self.record.get("reply_markup")

    @property
    def raw(self) -> dict[str, Any]:
        """The request parameters as telemelya parsed them (parse_mode, reply_parameters, ...)."""
        return self.record.get("raw") or {}

    @property
    def results(self) -> list[dict]:
        return self.record.get("results") or []

    def buttons(self) -> list[dict]:
        """Inline keyboard buttons, flattened, each a dict with 'text' and 'callback_data'/'url'..."""
        markup = self.reply_markup or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def __getitem__(self, key: str) -> Any:
        return self.record[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.record.get(key, default)


def _as_text(value: Any) -> str | None:
    # telemelya json.loads() every form field, so text "42" comes back as int 42: undo that.
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


_update_ids = itertools.count(int(time.time()) % 100_000 * 1000 + 1)
_user_msg_ids = itertools.count(500_000)


class BotClient:
    """Talks to the bot as Telegram users would, and reads what the bot sent.

    The default, ``transport="direct"`` with ``secret_token=E2E_SECRET``, suits a speechbot
    started with :func:`speechbot_command`. ``transport="control"`` (a bot without a secret,
    like tests/e2e/echo_bot.py) injects updates through telemelya's control API where it
    can express them (private text/commands, callback queries, inline queries);
    everything else (group chats, documents, reply_to, secret-token bots) is built
    here and POSTed straight to the bot's registered webhook URL ("direct"), after
    writing telemelya's chat/callback/inline -> session mapping into its Redis so the
    bot's answers are still recorded in this client's session.
    """

    def __init__(
        self,
        services: Services,
        *,
        token: str = DEFAULT_TOKEN,
        session_id: str | None = None,
        transport: str = "direct",
        secret_token: str | None = E2E_SECRET,
        timeout: float = 15.0,
    ) -> None:
        if transport not in ("control", "direct"):
            raise ValueError("transport must be 'control' or 'direct'")
        self.services = services
        self.token = token
        self.session_id = session_id or f"e2e-{uuid.uuid4().hex[:12]}"
        self.transport = transport
        self.secret_token = secret_token
        self.timeout = timeout
        self._cursor = 0
        self._chat_types: dict[int, str] = {}
        self._last_user: dict[int, int] = {}
        self._http = httpx.Client(
            base_url=services.emu_url,
            trust_env=False,
            timeout=20.0,
            headers={"Authorization": f"Bearer {services.control_key}", "X-Test-Session": self.session_id},
        )
        self._redis = None

    def close(self) -> None:
        self._http.close()
        if self._redis is not None:
            self._redis.close()

    def __enter__(self) -> BotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- low level ---------------------------------------------------------
    def _control(self, path: str, payload: dict) -> dict:
        r = self._http.post(
            f"/api/v1/test/{path}",
            params={"bot_token": self.token, "session_id": self.session_id},
            json=payload,
        )
        if not r.is_success:
            raise HarnessError(f"telemelya {path} -> {r.status_code}: {r.text[:500]}")
        body = r.json()
        delivery = body.get("delivery") or {}
        if delivery and delivery.get("status_code") != 200:
            raise HarnessError(
                f"bot webhook answered {delivery.get('status_code')} to telemelya's delivery "
                f"({str(delivery.get('response_body'))[:200]!r}); "
                "a bot with secret_token needs transport='direct'"
            )
        return body

    def _map(self, kind: str, key: Any) -> None:
        if self._redis is None:
            self._redis = self.services.redis()
        self._redis.set(f"{kind}:{key}", self.session_id, ex=3600)

    def post_update(self, update: dict) -> dict:
        """POST a complete Update dict straight to the bot's webhook (registers session mappings)."""
        update.setdefault("update_id", next(_update_ids))
        for key in ("message", "edited_message", "channel_post"):
            if key in update:
                self._map("chat_session", update[key]["chat"]["id"])
        if "callback_query" in update:
            cq = update["callback_query"]
            self._map("callback_session", cq["id"])
            if cq.get("message"):
                self._map("chat_session", cq["message"]["chat"]["id"])
        if "inline_query" in update:
            self._map("inline_session", update["inline_query"]["id"])
        url = self.services.get_webhook_url(self.token)
        if not url:
            raise HarnessError(f"no webhook registered in telemelya for token {self.token!r}")
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret_token} if self.secret_token else {}
        r = httpx.post(url, json=update, headers=headers, timeout=10, trust_env=False)
        if r.status_code != 200:
            raise HarnessError(f"bot webhook answered {r.status_code}: {r.text[:200]}")
        return update

    @staticmethod
    def _user(
        user_id: int,
        first_name: str = "Tester",
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    @staticmethod
    def _chat(chat_id: int, chat_type: str, user: dict, title: str | None = None) -> dict:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = user["first_name"]
            if "username" in user:
                chat["username"] = user["username"]
        else:
            chat["title"] = title or f"Test {chat_type}"
        return chat

    @staticmethod
    def _entities(text: str) -> list[dict]:
        if not text.startswith("/"):
            return []
        cmd = text.split()[0]
        return [{"type": "bot_command", "offset": 0, "length": len(cmd.encode("utf-16-le")) // 2}]

    # ---- what users do -----------------------------------------------------
    def send_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        chat_type: str = "private",
        *,
        first_name: str = "Tester",
        username: str | None = None,
        reply_to: Reply | dict | None = None,
        entities: list[dict] | None = None,
        title: str | None = None,
    ) -> dict:
        """A user message (commands included). Returns the injected Update dict."""
        self._chat_types[chat_id] = chat_type
        self._last_user[chat_id] = user_id
        simple = chat_type == "private" and reply_to is None and entities is None and username is None
        if self.transport == "control" and simple:
            return self._control(
                "send_update",
                {
                    "chat_id": chat_id,
                    "text": text,
                    "from_user": {"id": user_id, "first_name": first_name, "is_bot": False},
                },
            )["update"]
        user = self._user(user_id, first_name, username)
        msg: dict[str, Any] = {
            "message_id": next(_user_msg_ids),
            "from": user,
            "chat": self._chat(chat_id, chat_type, user, title),
            "date": int(time.time()),
            "text": text,
        }
        ents = entities if entities is not None else self._entities(text)
        if ents:
            msg["entities"] = ents
        if reply_to is not None:
            msg["reply_to_message"] = self._message_from_reply(reply_to)
        return self.post_update({"message": msg})

    def send_command(
        self, chat_id: int, user_id: int, command: str, chat_type: str = "private", **kw: Any
    ) -> dict:
        return self.send_message(
            chat_id, user_id, command if command.startswith("/") else f"/{command}", chat_type, **kw
        )

    def _message_from_reply(self, reply: Reply | dict) -> dict:
        """The bot's message as telemelya currently stores it (edits applied), as a Message dict."""
        rec = reply.record if isinstance(reply, Reply) else reply
        if self._redis is None:
            self._redis = self.services.redis()
        stored = self._redis.hget(f"messages:{self.session_id}", str(rec["message_id"]))
        if stored:
            msg = json.loads(stored)
            msg = {k: v for k, v in msg.items() if v is not None}
            if "text" in msg:
                msg["text"] = _as_text(msg["text"])
            return msg
        msg = {
            "message_id": rec["message_id"],
            "from": {"id": 123456789, "is_bot": True, "first_name": "TestBot", "username": "telemelya_bot"},
            "chat": {"id": rec.get("chat_id"), "type": "private"},
            "date": int(time.time()),
        }
        if _as_text(rec.get("text")) is not None:
            msg["text"] = _as_text(rec.get("text"))
        if rec.get("reply_markup"):
            msg["reply_markup"] = rec["reply_markup"]
        return msg

    def press_button(
        self,
        message: Reply | dict,
        callback_data: str | None = None,
        *,
        user_id: int | None = None,
        button_text: str | None = None,
        chat_type: str | None = None,
    ) -> dict:
        """Press an inline button of a message the bot sent (a :class:`Reply`/record).

        Pick the button by ``callback_data`` or by ``button_text``; checks the button exists.
        """
        reply = message if isinstance(message, Reply) else Reply(message.get("method", "?"), message)
        buttons = reply.buttons()
        if button_text is not None:
            match = [b for b in buttons if b.get("text") == button_text]
            if not match:
                raise AssertionError(f"no button {button_text!r} in {buttons}")
            callback_data = match[0].get("callback_data")
        if callback_data is None:
            raise ValueError("give callback_data or button_text")
        if buttons and callback_data not in [b.get("callback_data") for b in buttons]:
            raise AssertionError(f"no button with callback_data {callback_data!r} in {buttons}")
        chat_id = reply.chat_id
        uid = user_id if user_id is not None else self._last_user.get(chat_id, chat_id)
        chat_type = chat_type or self._chat_types.get(chat_id, "private")
        if self.transport == "control" and chat_type == "private":
            return self._control(
                "send_update",
                {
                    "chat_id": chat_id,
                    "callback_data": callback_data,
                    "callback_message_id": reply.message_id,
                    "from_user": {"id": uid, "first_name": "Tester", "is_bot": False},
                },
            )["update"]
        msg = self._message_from_reply(reply)
        msg["chat"]["type"] = chat_type
        if chat_type != "private":
            msg["chat"]["title"] = f"Test {chat_type}"
        return self.post_update(
            {
                "callback_query": {
                    "id": str(uuid.uuid4()),
                    "from": self._user(uid),
                    "chat_instance": str(chat_id),
                    "message": msg,
                    "data": callback_data,
                }
            }
        )

    def inline_query(
        self, user_id: int, query: str, offset: str = "", *, chat_type: str | None = None
    ) -> dict:
        """An inline query; returns the Update dict (``["inline_query"]["id"]`` is its id)."""
        if self.transport == "control" and chat_type is None:
            body = self._control(
                "send_inline_query",
                {
                    "query": query,
                    "offset": offset,
                    "from_user": {"id": user_id, "first_name": "Tester"},
                },
            )
            return body["update"]
        iq: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "from": self._user(user_id),
            "query": query,
            "offset": offset,
        }
        if chat_type:
            iq["chat_type"] = chat_type
        return self.post_update({"inline_query": iq})

    def upload_file(self, filename: str, data: bytes, mime_type: str = "application/octet-stream") -> str:
        """Store bytes in telemelya (S3) so the bot's getFile + download work; returns the file_id."""
        r = self._http.post(
            "/api/v1/test/upload_media",
            params={"session_id": self.session_id},
            files={"file": (filename, data, mime_type)},
        )
        if not r.is_success:
            raise HarnessError(f"upload_media -> {r.status_code}: {r.text[:300]}")
        return r.json()["file_id"]

    def send_document(
        self,
        chat_id: int,
        user_id: int,
        filename: str,
        data: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        chat_type: str = "private",
    ) -> dict:
        """A user sending a file (always direct: telemelya's send_update only knows photos)."""
        file_id = self.upload_file(filename, data, mime_type)
        self._chat_types[chat_id] = chat_type
        self._last_user[chat_id] = user_id
        user = self._user(user_id)
        msg: dict[str, Any] = {
            "message_id": next(_user_msg_ids),
            "from": user,
            "chat": self._chat(chat_id, chat_type, user),
            "date": int(time.time()),
            "document": {
                "file_id": file_id,
                "file_unique_id": file_id[:16],
                "file_name": filename,
                "mime_type": mime_type,
                "file_size": len(data),
            },
        }
        if caption:
            msg["caption"] = caption
        return self.post_update({"message": msg})

    def download(self, file_id: str) -> bytes:
        """Bytes of a file the bot sent with sendPhoto (or that a test uploaded)."""
        r = self._http.get(f"/api/v1/test/media/{file_id}", params={"session_id": self.session_id})
        r.raise_for_status()
        return r.content

    # ---- what the bot did --------------------------------------------------
    def responses(self, methods: Iterable[str] | None = None) -> list[Reply]:
        """Every Bot API call recorded in this session so far (non-destructive)."""
        r = self._http.get("/api/v1/test/responses", params={"session_id": self.session_id})
        r.raise_for_status()
        wanted = set(methods) if methods is not None else None
        out = [Reply(rec.get("method", "?"), rec) for rec in r.json().get("responses", [])]
        return [x for x in out if wanted is None or x.method in wanted]

    def mark(self) -> None:
        """Forget everything recorded so far: later waits only see newer calls."""
        r = self._http.get("/api/v1/test/responses", params={"session_id": self.session_id})
        r.raise_for_status()
        self._cursor = len(r.json().get("responses", []))

    def wait_for_replies(
        self,
        count: int = 1,
        *,
        methods: Iterable[str] | None = REPLY_METHODS,
        timeout: float | None = None,
        settle: float = 0.0,
    ) -> list[Reply]:
        """Wait (bounded) until ``count`` new calls of ``methods`` are recorded; return them.

        ``methods=None`` means any method. ``settle`` s of extra wait lets late extras show up
        (they are included). Raises AssertionError with what was seen on timeout.
        """
        wanted = set(methods) if methods is not None else None
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)

        def new_hits() -> tuple[list[Reply], list[int]]:
            new = self.responses()[self._cursor :]
            return new, [i for i, x in enumerate(new) if wanted is None or x.method in wanted]

        while True:
            new, hits = new_hits()
            if len(hits) >= count:
                if settle > 0:
                    time.sleep(settle)
                    new, hits = new_hits()
                else:
                    hits = hits[:count]
                self._cursor += hits[-1] + 1
                return [new[i] for i in hits]
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} x {sorted(wanted) if wanted else 'any'} within the timeout, "
                    f"got {len(hits)}; new calls: {[(x.method, x.text) for x in new]}"
                )
            time.sleep(0.05)

    def wait_for_reply(self, **kw: Any) -> Reply:
        return self.wait_for_replies(1, **kw)[0]

    def assert_no_replies(self, within: float = 1.0, methods: Iterable[str] | None = REPLY_METHODS) -> None:
        time.sleep(within)
        wanted = set(methods) if methods is not None else None
        new = [x for x in self.responses()[self._cursor :] if wanted is None or x.method in wanted]
        assert not new, f"unexpected bot calls: {[(x.method, x.text) for x in new]}"

    def reset(self) -> None:
        with contextlib.suppress(Exception):
            self._http.post("/api/v1/test/reset", params={"session_id": self.session_id})
        self._cursor = 0
