#!/usr/bin/env bash
# Screenshot of the Dagster UI's global asset lineage after a sample run, for the docs.
# Usage: scripts/screenshot_dagster.sh [OUT.png]   (default: docs/img/dagster-asset-graph.png)
# Needs Debian's chromium (scripts/ensure_chromium.sh installs it); nothing here downloads a browser.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m -- "${1:-$root/docs/img/dagster-asset-graph.png}")  # resolved before the cd below
cd "$root"
command -v chromium >/dev/null || { echo "chromium is missing: run scripts/ensure_chromium.sh" >&2; exit 1; }

home=$(mktemp -d)  # throwaway CDPI_HOME: the picture shows one sample run and nothing else
server=""
cleanup() {
    if [ -n "$server" ]; then
        # dagster dev treats SIGTERM as Ctrl-C and stops its children; KILL only what is still there after 30 s.
        kill -TERM -- "-$server" 2>/dev/null || true
        for _ in $(seq 30); do kill -0 -- "-$server" 2>/dev/null || break; sleep 1; done
        kill -KILL -- "-$server" 2>/dev/null || true
    fi
    rm -rf "$home"
}
trap cleanup EXIT

CDPI_HOME=$home .venv/bin/cdpi run --sample --quiet

port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
# Job control puts the server in its own process group (dagster dev starts several processes) and keeps
# SIGINT, which dagster dev's SIGTERM handling reuses, from being ignored as in a script's plain `&` job.
set -m
.venv/bin/cdpi dev --home "$home" --port "$port" >"$home/dev.log" 2>&1 &
server=$!
set +m
for _ in $(seq 120); do curl -sf "$url/server_info" >/dev/null && break; sleep 1; done
curl -sf "$url/server_info" >/dev/null || { tail -n 30 "$home/dev.log" >&2; exit 1; }

# Groups start collapsed; the UI takes the ones to open from ?expanded= (ids "global@global:<group>").
groups=$(curl -sf "$url/graphql" -H 'Content-Type: application/json' -d '{"query":"{ assetNodes { groupName } }"}' |
    .venv/bin/python -c 'import json, sys
print(",".join(sorted({"global@global:" + n["groupName"] for n in json.load(sys.stdin)["data"]["assetNodes"]})))')
page="$url/asset-groups?expanded=$groups"

# --virtual-time-budget lets the page finish its queries and layout before the shot; a profile of our own
# keeps a user's saved UI settings (graph direction, etc.) out of it.
shoot() {
    chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$home/chromium" \
        --virtual-time-budget=20000 "$@" 2>/dev/null
}
# The graph is fitted to the window's width, so a first pass reads the laid-out graph's size to make the
# window tall enough for all of it: the graph area is 540 px narrower than the window (navigation and sidebar)
# and 195 px shorter, and 100 px more keep the graph's top clear of the search bar that overlays it.
width=1400
read -r gw gh < <(shoot --window-size="$width,1000" --dump-dom "$page" |
    sed -nE 's/.*svgContainer[^>]* width="([0-9.]+)" height="([0-9.]+)".*/\1 \2/p' | head -n 1) || true
height=$(awk -v w="$width" -v gw="${gw:-1}" -v gh="${gh:-0}" 'BEGIN { h = 195 + 100 + (w - 540) * gh / gw; print int(h < 1000 ? 1000 : h) }')

mkdir -p "$(dirname "$out")"
rm -f "$out"
shoot --window-size="$width,$height" --screenshot="$out" "$page" >/dev/null
[ -s "$out" ] || { echo "chromium wrote no screenshot to $out" >&2; exit 1; }
echo "$out (${width}x$height, $(($(wc -c <"$out") / 1024)) KB) from $page"
