#!/usr/bin/env bash
# Create .venv and install newsqa into it. torch comes first, pinned to the CPU wheel that pip
# finds on this machine; installing anything that depends on torch before it would pull a
# multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "newsqa needs Python 3.11 (found $("$python" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -c 'import torch' 2>/dev/null || .venv/bin/python -m pip install --quiet torch==2.13.0
.venv/bin/python -m pip install --quiet -e ".[test,ray]"
# rapidocr-onnxruntime asks for opencv-python, which needs the X11/OpenGL libraries of a desktop;
# the headless build of the same version is the same library without them.
if .venv/bin/python -m pip show --quiet opencv-python >/dev/null 2>&1; then
  cv_version=$(.venv/bin/python -m pip show opencv-python | sed -n 's/^Version: //p')
  .venv/bin/python -m pip uninstall --quiet -y opencv-python
  .venv/bin/python -m pip install --quiet --force-reinstall --no-deps "opencv-python-headless==$cv_version"
fi
