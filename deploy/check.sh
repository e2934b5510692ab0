#!/usr/bin/env bash
# What CI can check of deploy/ without Docker or systemd (about a minute; needs PyPI for the lock).
#
#   bash deploy/check.sh
#
# 1. the Dockerfile's build stage, run by deploy/dockerfile_run.py in a temp folder standing in
#    for the image (deploy/install.sh: a venv from deploy/requirements.lock, then the bot);
# 2. the lock is complete and exact: pip check passes, pip freeze == the lock;
# 3. with the image's environment (SPEECHBOT_CORPUS, SPEECHBOT_CACHE, PATH): `speechbot corpus
#    check` on the shipped corpus, `speechbot ask --json` (answers, and the cache volume is used),
#    the shipped config files load, the health probe runs;
# 4. deploy/speechbot.service: deploy/unitcheck.py, and `systemd-analyze verify` where it exists
#    (any warning fails); a real `docker build` only where a Docker engine answers.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
WORK=$(mktemp -d "${TMPDIR:-/tmp}/speechbot-deploy-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
START=$SECONDS
step() { printf '\n== deploy/check: %s (%ds)\n' "$*" "$((SECONDS - START))"; }
fail() { printf 'deploy/check: FAILED: %s\n' "$*" >&2; exit 1; }

step "Dockerfile build stage in $WORK/image"
grep -q '^RUN sh /src/deploy/install.sh ' deploy/Dockerfile || fail "the Dockerfile no longer installs with deploy/install.sh"
python3 deploy/dockerfile_run.py --root "$WORK/image" --dockerfile deploy/Dockerfile --context "$REPO" \
    > "$WORK/build.log" 2>&1 || { tail -n 60 "$WORK/build.log"; fail "the Dockerfile's build stage"; }
grep -E '^(== stage|RUN|skipped)' "$WORK/build.log"
# shellcheck disable=SC1091
source "$WORK/image/env.sh"
[ "$(command -v speechbot)" = "$WORK/image/opt/speechbot/bin/speechbot" ] || fail "speechbot is not the image's"
[ "$SPEECHBOT_CORPUS" = "$WORK/image/corpus" ] && [ "$SPEECHBOT_CACHE" = "$WORK/image/cache" ] \
    || fail "the image's SPEECHBOT_CORPUS / SPEECHBOT_CACHE are not the volumes"

step "the lock is exact and hashed"
pinned() { grep -E '^[A-Za-z0-9]' | sed 's/ *\\$//' | tr 'A-Z_' 'a-z-' | sort; }
diff <(pinned < deploy/requirements.lock) \
    <(python -m pip freeze --all --exclude speechbot --exclude pip --exclude setuptools | pinned) \
    || fail "deploy/requirements.lock differs from what installing it gives (regenerate it: see its header)"
diff <(pinned < deploy/tools.lock) <(python -m pip freeze --all | grep -E '^(pip|setuptools)==' | pinned) \
    || fail "the install venv's pip/setuptools are not deploy/tools.lock's"
for lock in deploy/requirements.lock deploy/tools.lock; do
    python3 - "$lock" <<'PY' || fail "$lock: every entry needs --hash=sha256"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
entries = [e for e in re.split(r"\n(?=\S)", text) if e.strip() and not e.startswith("#")]
bad = [e.splitlines()[0] for e in entries if not re.search(r"--hash=sha256:[0-9a-f]{64}", e)]
assert entries and not bad, bad
PY
done
grep -q -- '--require-hashes -r "$SRC/deploy/requirements.lock"' deploy/install.sh || fail "install.sh without --require-hashes"

step "images pinned by digest"
python3 deploy/digests.py deploy/Dockerfile deploy/compose.yaml || fail "an image is not pinned by digest"

step "speechbot corpus check (shipped corpus in the corpus volume)"
mkdir -p "$WORK/image/corpus" "$WORK/image/cache"
cp -R corpus/. "$WORK/image/corpus/"
cd "$WORK"  # nothing may come from the checkout from here on
speechbot corpus check > "$WORK/corpus-check.txt" || { cat "$WORK/corpus-check.txt"; fail "corpus check"; }
head -n 5 "$WORK/corpus-check.txt"

step "speechbot ask --json (twice: the second run loads the index from the cache volume)"
for run in 1 2; do
    speechbot ask --json 廉政责任书多久签一次 "NBA总决赛冠军是谁啊啊啊" > "$WORK/ask-$run.jsonl"
done
python - "$WORK/ask-1.jsonl" "$WORK/ask-2.jsonl" <<'PY'
import json, sys
runs = [[json.loads(line) for line in open(path, encoding="utf-8")] for path in sys.argv[1:]]
assert runs[0] == runs[1], "the cached index answers differently"
first, second = runs[0]
assert first["found"] and first["hits"], first
assert all(h["reference"] and h["quote"] for h in first["hits"]), first["hits"]
assert any("廉政责任书" in h["quote"] for h in first["hits"]), [h["quote"] for h in first["hits"]]
assert set(second) >= {"query", "found", "hits", "terms", "missing_terms"}, second
print(f"ok: {len(first['hits'])} hits, first: {first['hits'][0]['reference']}")
PY
ls "$SPEECHBOT_CACHE"/index-*/manifest.json > /dev/null || fail "no index was saved in the cache volume"

step "shipped config files load; health probe"
python - "$REPO/deploy" <<'PY'
import sys
from pathlib import Path
from bot.config import build_settings
folder = Path(sys.argv[1])
for name in ("config.polling.yaml", "config.webhook.yaml"):
    settings = build_settings(folder / name, {})
    assert settings.metrics_port == 8080 and settings.log_format == "json", (name, settings)
    print(f"ok: {name}: webhook_url={settings.webhook_url}")
PY
cmp -s "$WORK/image/etc/speechbot/config.yaml" "$REPO/deploy/config.polling.yaml" || fail "the image's config"
if python -m bot.ops.web http://127.0.0.1:9/healthz; then fail "the health probe passed with nothing listening"; fi

step "systemd unit"
cd "$REPO"
python3 deploy/unitcheck.py deploy/speechbot.service
if command -v systemd-analyze > /dev/null 2>&1; then
    # verify wants ExecStart's program to exist: point it at the speechbot just installed
    sed "s#/opt/speechbot/venv/bin/speechbot#$WORK/image/opt/speechbot/bin/speechbot#" \
        deploy/speechbot.service > "$WORK/speechbot.service"
    out=$(systemd-analyze verify "$WORK/speechbot.service" 2>&1) || fail "systemd-analyze verify: $out"
    [ -z "$out" ] || fail "systemd-analyze verify warns: $out"
    echo "ok: systemd-analyze verify"
else
    echo "systemd-analyze not installed: the parser check above stands alone"
fi

if command -v docker > /dev/null 2>&1 && docker info > /dev/null 2>&1; then
    step "docker build"
    docker build -f deploy/Dockerfile -t speechbot:check .
fi

step "all passed"
