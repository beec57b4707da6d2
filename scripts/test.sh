#!/usr/bin/env bash
# Run the ota-hil test suite (sets up first if needed; the setup step is idempotent and quick).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-main
exec .venv/bin/python -m pytest -q -n auto "$@"
