"""Webhook mode needs a real secret: missing, short, placeholder and non-random ones are refused."""

from __future__ import annotations

import secrets

import pytest

from bot.config import SECRET_ENV, ConfigError, build_settings, check_serving, secret_problem

WEBHOOK = {"webhook_url": "https://bot.example.org/hook"}


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        (None, "needs a secret token"),
        ("", "needs a secret token"),
        ("CHANGE-ME", "characters"),
        ("s3cret", "characters"),
        ("CHANGE-ME-" + "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "placeholder"),
        ("your-secret-token-goes-here-0123456789", "placeholder"),
        ("a" * 40, "not random"),
        ("ab" * 20, "not random"),
        ("has spaces and ümlauts but is long enough", "only A-Z"),
    ],
)
def test_unfit_secrets_are_refused_with_the_way_to_make_one(secret, says):
    problem = secret_problem(secret)
    assert problem is not None and says in problem and "openssl rand -hex 32" in problem
    with pytest.raises(ConfigError, match="openssl"):
        check_serving(build_settings(None, {**WEBHOOK, "secret_token": secret}))


@pytest.mark.parametrize("secret", [secrets.token_hex(32), secrets.token_urlsafe(32)])
def test_generated_secrets_are_accepted(secret):
    assert secret_problem(secret) is None
    check_serving(build_settings(None, {**WEBHOOK, "secret_token": secret}))


def test_polling_needs_no_secret():
    check_serving(build_settings(None, {}))


def test_the_secret_can_come_from_the_environment(monkeypatch):
    secret = secrets.token_hex(32)
    monkeypatch.setenv(SECRET_ENV, secret)
    assert build_settings(None, WEBHOOK).secret_token == secret
    assert build_settings(None, {**WEBHOOK, "secret_token": "x" * 40}).secret_token == "x" * 40  # CLI wins


def test_the_shipped_webhook_config_holds_no_usable_secret():
    from tests.support.paths import PROJECT

    settings = build_settings(PROJECT / "deploy" / "config.webhook.yaml", {})
    with pytest.raises(ConfigError):
        check_serving(settings)
