#!/usr/bin/env bash
# Run the test suite, installing first if needed. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-demo
.venv/bin/ruff check src tests bench
exec .venv/bin/python -m pytest "$@"
