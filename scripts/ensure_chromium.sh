#!/usr/bin/env bash
# Installs Debian's Chromium when it is missing: the report's browser tests drive it through Playwright,
# which is never allowed to download a browser of its own. Outside CI a machine that cannot install it
# (no apt-get, or neither root nor sudo) only gets a warning, and those tests skip.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0

cannot() {
    echo "chromium is not installed and $1; install it (Debian/Ubuntu: apt-get install chromium)." >&2
    if [ -n "${CI:-}" ]; then exit 1; fi
    echo "Continuing: the browser tests will be skipped." >&2
    exit 0
}

command -v apt-get >/dev/null 2>&1 || cannot "apt-get is not available"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
    echo "Installing chromium with sudo (needed by the report's browser tests)." >&2
else
    cannot "this user is not root and sudo is not available"
fi
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
