#!/usr/bin/env bash
# Set up, then lint and run the whole test suite (real model, real index).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
