#!/usr/bin/env bash
# Install the system services the end-to-end tests (tests/e2e) need.
# Idempotent: does nothing when redis-server is already on PATH.
# Called by .ci/run as root before the tests.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
    echo "e2e-services: redis-server already installed: $(command -v redis-server)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "e2e-services: need root (or sudo) to install redis-server" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --no-install-recommends: we only need the binary; the harness starts its own
# throw-away instance on a free 127.0.0.1 port (the packaged service is not used).
$SUDO apt-get install -y -qq --no-install-recommends redis-server

# Debian may auto-start the packaged service on :6379 (where an init system
# exists). The tests do not use it; leave it alone.
command -v redis-server >/dev/null 2>&1 || { echo "e2e-services: redis-server still missing" >&2; exit 1; }
echo "e2e-services: installed $(redis-server --version)"
