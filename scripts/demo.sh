#!/usr/bin/env bash
# Set up Antrean on this machine and run it on SQLite with demo data.
#   scripts/demo.sh            -> http://127.0.0.1:5000/
#   PORT=8080 HOST=0.0.0.0 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || {
  echo "Antrean needs Python 3.11 or newer (found: $("$PY" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv ..."
  "$PY" -m venv .venv
fi
echo "Installing Antrean into .venv ..."
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e .
export ANTREAN_INSTANCE_PATH=${ANTREAN_INSTANCE_PATH:-$PWD/instance}
export ANTREAN_PRINTER_URL=${ANTREAN_PRINTER_URL:-none}
export ANTREAN_NOTIFY_URL=${ANTREAN_NOTIFY_URL:-log}   # messages to citizens go to the log (docs/notifications.md)
.venv/bin/antrean init --demo
exec .venv/bin/antrean run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
