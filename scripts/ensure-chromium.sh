#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the dashboard's browser tests (playwright-core drives
# /usr/bin/chromium; it downloads no browser of its own), installing it with apt when it is missing,
# and fails loudly when it cannot: the browser tests never skip.
set -euo pipefail

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x "$CHROMIUM" ]; then
  echo "Chromium is missing at $CHROMIUM: installing Debian's chromium package"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[ -x "$CHROMIUM" ] || { echo "Chromium is not at $CHROMIUM after installing Debian's chromium package" >&2; exit 1; }
# a browser that cannot start headless is as bad as none
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
  --host-resolver-rules='MAP * ~NOTFOUND' --no-first-run --disable-background-networking \
  --dump-dom 'data:text/html,<p>ok</p>' 2>/dev/null | grep -q '<p>ok</p>' \
  || { echo "Chromium at $CHROMIUM is installed but does not start headless" >&2; exit 1; }
echo "Chromium is ready: $("$CHROMIUM" --version 2>/dev/null | head -1)"
