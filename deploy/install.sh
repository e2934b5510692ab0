#!/bin/sh
# Install speechbot into a new virtual environment from the pinned lock file.
#
#   sh deploy/install.sh VENV [SRC]      (SRC: the checkout, default: the folder above deploy/)
#
# The one install routine: the Dockerfile runs it, the systemd set-up in deploy/README.md runs it,
# and deploy/check.sh runs it in CI, so what CI checks is what the image and the server get.
# Set PYTHON to choose the interpreter (default python3) and PIP_NO_CACHE_DIR=1 for small images.
set -eu

VENV=${1:?usage: install.sh VENV [SRC]}
SRC=${2:-$(cd "$(dirname "$0")/.." && pwd)}
PYTHON=${PYTHON:-python3}

"$PYTHON" -m venv "$VENV"
# Exactly the pinned versions of every runtime dependency (transitive ones included) ...
"$VENV/bin/pip" install --no-input --require-virtualenv -r "$SRC/deploy/requirements.lock"
# ... then the bot itself, which must not pull in anything the lock left out.
"$VENV/bin/pip" install --no-input --require-virtualenv --no-deps "$SRC"
"$VENV/bin/pip" check
