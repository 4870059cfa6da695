#!/usr/bin/env bash
# Set up, build the index of the bundled 武进 sample, answer one question on the command line,
# then open the chat UI at http://127.0.0.1:7860 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/newsqa build
.venv/bin/newsqa ask "前黄浜全长多少公里？" -k 3
exec .venv/bin/newsqa serve "$@"
