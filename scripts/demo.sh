#!/usr/bin/env bash
# Set up, build the index of the bundled 武进 sample, and answer a sample question.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/newsqa build
.venv/bin/newsqa ask "前黄浜全长多少公里？" -k 3
