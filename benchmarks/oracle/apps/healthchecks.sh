#!/usr/bin/env bash
# Bring healthchecks at the recorded sha and write its Django oracle (see healthchecks.md).
# Usage: healthchecks.sh SOURCE   (SOURCE: the git dir the fetch tool returned, or a checkout)
# Env: ORACLE_SCRATCH (default /work/scratch/oracle), PYTHON (a Python >= 3.12).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=_common.sh
. "$here/_common.sh"

SHA=29b5ec251059034b79e0120e2ff0c3e35d7bd9f8
src="${1:?usage: healthchecks.sh SOURCE}"
scratch="${ORACLE_SCRATCH:-/work/scratch/oracle}"
dest="$scratch/healthchecks"
venv="$scratch/venvs/healthchecks"
out="$scratch/out/healthchecks.json"

clone_at "$src" "$dest" "$SHA"
if [ ! -x "$venv/bin/python" ]; then
    "$(pick_python 3.12)" -m venv "$venv"
fi
"$venv/bin/pip" install -q -r "$dest/requirements.txt"

# hc.settings as shipped (SQLite by default); DB_NAME points it at a throwaway file, migrated
# fresh, so that --run-handlers can let reached handlers answer (each inside a rolled-back
# transaction).
db="$(mktemp -d)/hc.sqlite"
export DB_NAME="$db"
(cd "$dest" && "$venv/bin/python" manage.py migrate -v0)

# The integrations whose help pages answer 404 until they are configured: probed again with a
# value, since a feature switch is not authentication.
mkdir -p "$(dirname "$out")"
(cd "$dest" && "$venv/bin/python" "$here/../django_routes.py" --settings hc.settings --root "$dest" \
    --name healthchecks --out "$out" --run-handlers \
    --feature PD_APP_ID=oracle --feature PUSHOVER_API_TOKEN=oracle \
    --feature SLACK_CLIENT_ID=oracle --feature TELEGRAM_TOKEN=oracle)
rm -f "$db"
