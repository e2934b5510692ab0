"""pytest fixtures for the end-to-end tests (see harness.py for how the pieces fit).

* ``e2e_services`` (session, in tests/conftest.py): redis-server + moto S3 + telemelya on
  127.0.0.1 free ports. Skips when one is missing, but FAILS when env CI is set.
* ``start_bot`` (function): factory ``start_bot(args, env=None, **kw) -> BotProcess``; every
  bot started is stopped (SIGTERM, then SIGKILL after 10 s) at the end of the test.
* ``tg`` (function): a :class:`BotClient` with its own telemelya session.
"""

from __future__ import annotations

import pytest

from .harness import DEFAULT_TOKEN, BotClient, BotProcess


@pytest.fixture
def start_bot(e2e_services, request):
    started: list[BotProcess] = []

    def _start(args, env=None, **kw) -> BotProcess:
        bot = BotProcess(e2e_services, args, env=env, **kw)
        started.append(bot)
        return bot

    yield _start
    failed = getattr(request.node, "rep_call", None)
    for bot in reversed(started):
        bot.stop(timeout=10)
        if failed is not None and failed.failed:
            print(f"\n--- bot log ({' '.join(bot.args)}) ---\n{bot.tail(80)}")


@pytest.fixture
def tg(e2e_services):
    client = BotClient(e2e_services, token=DEFAULT_TOKEN)
    try:
        yield client
    finally:
        client.reset()
        client.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep
