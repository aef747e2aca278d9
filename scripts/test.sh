#!/usr/bin/env bash
# Set up the test environment (Antrean and the example plugin in examples/) and run the whole test suite.
#   scripts/test.sh                 # everything; PostgreSQL/Redis/Chromium tests skip if absent
#   ANTREAN_REQUIRE_SERVICES=1 scripts/test.sh   # (CI) a missing service is a failure
#   scripts/test.sh tests/unit -x   # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || {
  echo "Antrean needs Python 3.11 or newer (found: $("$PY" --version 2>&1))." >&2; exit 1; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e ".[test]"
# the third-party plugin example, installed as an office would install a plugin (tests/integration/test_example_plugin.py)
.venv/bin/python -m pip install --quiet -e examples/antrean-contoh
# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian's chromium for the browser tests ..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; browser tests will skip (or fail with ANTREAN_REQUIRE_SERVICES=1)" >&2
fi
exec .venv/bin/python -m pytest "$@"
