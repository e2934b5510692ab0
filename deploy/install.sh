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
# The venv's pip and setuptools replaced by current ones, checked against their hashes ...
"$VENV/bin/pip" install --no-input --require-virtualenv --require-hashes -r "$SRC/deploy/tools.lock"
# ... then exactly the pinned versions of every runtime dependency (transitive ones included),
# each file checked against the lock's hashes ...
"$VENV/bin/pip" install --no-input --require-virtualenv --require-hashes -r "$SRC/deploy/requirements.lock"
# ... then the bot itself, built with that setuptools (nothing fetched unchecked), no new dependency.
"$VENV/bin/pip" install --no-input --require-virtualenv --no-deps --no-build-isolation "$SRC"
"$VENV/bin/pip" check
