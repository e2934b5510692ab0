"""deploy/: what can be checked without Docker or systemd (deploy/check.sh does the install)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"deploy_{name}", DEPLOY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dockerfile_run = load("dockerfile_run")
unitcheck = load("unitcheck")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --------------------------------------------------------------------------- Dockerfile


@pytest.fixture(scope="module")
def stages():
    _, found = dockerfile_run.stages(dockerfile_run.instructions((DEPLOY / "Dockerfile").read_text()))
    return found


def values(stage, word):
    return [rest for w, rest in stage if w == word]


def test_dockerfile_builds_from_the_lock_and_runs_as_a_user(stages):
    build, final = stages[0], stages[-1]
    assert len(stages) == 2 and build[0][1].endswith("AS build")
    assert values(build, "RUN") == ["sh /src/deploy/install.sh /opt/speechbot /src"]
    users = values(final, "USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any("/corpus" in v and "/cache" in v for v in values(final, "VOLUME"))
    env = " ".join(values(final, "ENV"))
    assert "SPEECHBOT_CORPUS=/corpus" in env and "SPEECHBOT_CACHE=/cache" in env
    assert values(final, "HEALTHCHECK") and "bot.ops.web" in values(final, "HEALTHCHECK")[0]
    assert values(final, "ENTRYPOINT") == ['["speechbot"]']


def test_dockerfile_copies_what_exists_and_a_pinned_base_image():
    text = (DEPLOY / "Dockerfile").read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, re.M).group(1)
    assert re.fullmatch(r"python:3\.\d+(\.\d+)?-slim(-\w+)?@sha256:[0-9a-f]{64}", base), base
    for word, rest in dockerfile_run.instructions(text):
        if word == "COPY" and "--from" not in rest:
            for source in rest.split()[:-1]:
                assert (ROOT / source).exists(), source


def locked(path: Path) -> dict[str, str]:
    """name -> version of a lock file, checking that each entry is pinned and hashed."""
    lock = {}
    for entry in re.split(r"\n(?=\S)", path.read_text()):
        if not entry.strip() or entry.startswith("#"):
            continue
        first = entry.splitlines()[0]
        name, _, version = first.removesuffix("\\").strip().partition("==")
        assert version and re.fullmatch(r"[\w.]+", version), f"not pinned: {first}"
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), f"no hash: {first}"
        lock[canonical(name)] = version
    return lock


def test_every_image_is_pinned_by_digest(tmp_path):
    check = [
        sys.executable,
        str(DEPLOY / "digests.py"),
        str(DEPLOY / "Dockerfile"),
        str(DEPLOY / "compose.yaml"),
    ]
    assert subprocess.run(check, capture_output=True, text=True).returncode == 0
    moved = tmp_path / "compose.yaml"
    moved.write_text(
        (DEPLOY / "compose.yaml").read_text().replace("@sha256:", "-was-pinned-"), encoding="utf-8"
    )
    refused = subprocess.run(
        [sys.executable, str(DEPLOY / "digests.py"), str(moved)], capture_output=True, text=True
    )
    assert refused.returncode == 1 and "nginx:1.27-alpine" in refused.stderr


def test_the_install_uses_hashes_and_upgrades_pip_first():
    install = (DEPLOY / "install.sh").read_text()
    assert '--require-hashes -r "$SRC/deploy/tools.lock"' in install
    assert '--require-hashes -r "$SRC/deploy/requirements.lock"' in install
    assert install.index("tools.lock") < install.index('requirements.lock"')
    tools = locked(DEPLOY / "tools.lock")
    assert set(tools) == {"pip", "setuptools"}
    assert int(tools["pip"].split(".")[0]) >= 25 and int(tools["setuptools"].split(".")[0]) >= 78


def test_the_lock_pins_every_runtime_dependency():
    lock = locked(DEPLOY / "requirements.lock")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    from packaging.requirements import Requirement

    for dependency in project["dependencies"]:
        requirement = Requirement(dependency)
        name = canonical(requirement.name)
        assert name in lock, f"{name} is in pyproject.toml but not in deploy/requirements.lock"
        assert requirement.specifier.contains(lock[name]), f"{name}=={lock[name]} breaks {dependency}"


def test_dockerfile_runner_on_a_small_dockerfile(tmp_path):
    context = tmp_path / "ctx"
    (context / "app").mkdir(parents=True)
    (context / "app" / "hello.txt").write_text("hi")
    (context / "Dockerfile").write_text(
        "ARG BASE=python:3.11-slim\n"
        "FROM ${BASE} AS build\n"
        "ENV GREETING=hello \\\n    TARGET=/opt/out\n"
        "WORKDIR /src\n"
        "COPY app /src/app\n"
        'RUN mkdir -p /opt && cat /src/app/hello.txt > "$TARGET" && echo " $GREETING" >> /opt/out\n'
        "FROM ${BASE}\n"
        "RUN useradd nobody-here\n"
        "COPY --from=build /opt/out /opt/out\n"
        "ENV PATH=/opt/bin:$PATH SPEECHBOT_CACHE=/cache\n"
    )
    root = tmp_path / "root"
    code = dockerfile_run.main(
        ["--root", str(root), "--dockerfile", str(context / "Dockerfile"), "--context", str(context)]
    )
    assert code == 0
    assert (root / "opt" / "out").read_text() == "hi hello\n"
    env = (root / "env.sh").read_text()
    assert f"export SPEECHBOT_CACHE={root}/cache" in env and f"PATH={root}/opt/bin:" in env


# --------------------------------------------------------------------------- compose, proxy, configs


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_has_polling_and_webhook_set_ups(compose):
    services = compose["services"]
    assert services["bot"]["profiles"] == ["polling"]
    assert services["webhook"]["profiles"] == ["webhook"] and services["proxy"]["profiles"] == ["webhook"]
    for name in ("bot", "webhook"):
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        assert service["env_file"] == ["speechbot.env"]
        plain = [re.sub(r"\$\{[^}]*\}", "HOST", volume) for volume in service["volumes"]]
        mounts = {volume.split(":")[1]: volume for volume in plain}
        assert set(mounts) == {"/corpus", "/cache", "/etc/speechbot/config.yaml"}
        config = mounts["/etc/speechbot/config.yaml"].split(":")[0]
        assert (DEPLOY / config).is_file()
    webhook = services["webhook"]
    # The replicas' corpus folder follows the corpus store; Redis coordinates them.
    assert webhook["volumes"][0].endswith(":/corpus")
    assert webhook["environment"]["SPEECHBOT_CORPUS_STORE_URL"].startswith("http://minio:9000/")
    assert webhook["environment"]["SPEECHBOT_REDIS_URL"] == "redis://redis:6379/0"
    assert services["redis"]["profiles"] == services["minio"]["profiles"] == ["webhook"]
    assert "TELEGRAM_BOT_TOKEN" not in (DEPLOY / "compose.yaml").read_text()


def test_nginx_forwards_only_the_webhook_path():
    settings = yaml.safe_load((DEPLOY / "config.webhook.yaml").read_text())
    nginx = (DEPLOY / "nginx.conf").read_text()
    locations = re.findall(r"^\s*location\s+(.*?)\s*\{", nginx, re.M)
    assert locations == [f"= {urlparse(settings['webhook_url']).path}", "/"]
    assert "proxy_pass http://speechbot;" in nginx and "return 404;" in nginx
    assert settings["metrics_port"] != settings["port"]


def test_example_env_file_has_only_a_placeholder_token():
    text = (DEPLOY / "speechbot.env.example").read_text()
    assert re.search(r"^TELEGRAM_BOT_TOKEN=\d+:REPLACE", text, re.M)


# --------------------------------------------------------------------------- systemd unit


def test_shipped_unit_passes_the_parser_check():
    assert unitcheck.check((DEPLOY / "speechbot.service").read_text()) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("User=speechbot", "User=root"), "non-root User"),
        (("NoNewPrivileges=yes\n", ""), "NoNewPrivileges=yes"),
        (("ProtectSystem=strict", "ProtectSystem=full"), "ProtectSystem=strict"),
        (("Restart=on-failure", "Restart=no"), "Restart=on-failure"),
        (
            ("EnvironmentFile=/etc/speechbot/speechbot.env", "Environment=TELEGRAM_BOT_TOKEN=1:x"),
            "EnvironmentFile",
        ),
        (("StateDirectory=speechbot", "StateDirectory=speechbot\nReadWritePaths=/etc"), "outside the state"),
        (
            ("Environment=SPEECHBOT_CACHE=/var/lib/speechbot/cache", "Environment=SPEECHBOT_CACHE=/tmp/c"),
            "CACHE",
        ),
        (("[Install]", "[Install]\nnot a setting"), "not a Key=value"),
    ],
)
def test_parser_check_catches_a_broken_unit(change, problem):
    text = (DEPLOY / "speechbot.service").read_text()
    assert change[0] in text
    problems = unitcheck.check(text.replace(change[0], change[1]))
    assert any(problem in p for p in problems), problems


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify(tmp_path):
    unit = tmp_path / "speechbot.service"
    # verify requires ExecStart's program to exist: use this interpreter in its place
    text = (DEPLOY / "speechbot.service").read_text()
    unit.write_text(text.replace("/opt/speechbot/venv/bin/speechbot", sys.executable))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr
    )


def test_shell_scripts_parse():
    subprocess.run(["bash", "-n", str(DEPLOY / "check.sh")], check=True)
    subprocess.run(["sh", "-n", str(DEPLOY / "install.sh")], check=True)
