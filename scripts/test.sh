#!/usr/bin/env bash
# Set up, then lint and run the whole test suite (real model, real index, real browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser tests drive Debian's Chromium (never a downloaded browser); a CJK font makes the
# screenshots readable.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
  else
    echo "chromium and a CJK font are needed: sudo apt-get install chromium fonts-wqy-microhei" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
