#!/usr/bin/env bash
# Bring netbox at the recorded sha and write its Django oracle (see netbox.md).
# Usage: netbox.sh SOURCE   (SOURCE: the git dir the fetch tool returned, or a netbox checkout)
# Env: ORACLE_SCRATCH (default /work/scratch/oracle), PYTHON (a Python >= 3.12).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=_common.sh
. "$here/_common.sh"

SHA=43fe81f9e833228c9869f7ddadb67e6c5f145060
src="${1:?usage: netbox.sh SOURCE}"
scratch="${ORACLE_SCRATCH:-/work/scratch/oracle}"
dest="$scratch/netbox"
venv="$scratch/venvs/netbox"
out="$scratch/out/netbox.json"

# Two large data files are absent from the mirror: the OpenAPI dump (unused) and the UN/LOCODE
# choice set, replaced below by an empty stub (it only feeds a custom-field choice list).
clone_at "$src" "$dest" "$SHA" contrib/openapi.json netbox/extras/data/un_locode.py
printf '# Stub written by the backcheck oracle (the real file is absent from the mirror).\nUN_LOCODE = ()\n' \
    > "$dest/netbox/extras/data/un_locode.py"

# Minimal configuration: URL resolution and the probe need no database. PostgreSQL and Redis point
# at a closed port so that any access fails at once instead of hanging.
cat > "$dest/netbox/netbox/configuration.py" <<'CONF'
# Minimal configuration for the backcheck runtime oracle (not part of netbox).
ALLOWED_HOSTS = ['*']
DATABASES = {'default': {'NAME': 'netbox', 'USER': 'netbox', 'PASSWORD': 'netbox',
                         'HOST': '127.0.0.1', 'PORT': '1', 'CONN_MAX_AGE': 0}}
REDIS = {
    'tasks': {'HOST': '127.0.0.1', 'PORT': 1, 'USERNAME': '', 'PASSWORD': '', 'DATABASE': 0, 'SSL': False},
    'caching': {'HOST': '127.0.0.1', 'PORT': 1, 'USERNAME': '', 'PASSWORD': '', 'DATABASE': 1, 'SSL': False},
}
SECRET_KEY = 'backcheck-oracle-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ'
API_TOKEN_PEPPERS = {1: 'backcheck-oracle-pepper-0123456789-abcdefghijklmnopqrstuvwxyz'}
LOGGING = {'version': 1, 'disable_existing_loggers': True}
CONF
# netbox reads its dynamic configuration through the cache: an in-process cache, primed empty by
# --after-setup below, answers it without Redis or the database.
cat > "$dest/netbox/netbox/oracle_settings.py" <<'CONF'
# Written by the backcheck oracle: netbox's settings with an in-process cache instead of Redis.
from netbox.settings import *  # noqa: F403

CACHES = {'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}
CONF

if [ ! -x "$venv/bin/python" ]; then
    "$(pick_python 3.12)" -m venv "$venv"
fi
# The runtime requirements: the docs toolchain and gunicorn are left out; psycopg's C build wants
# libpq headers, the binary wheel does the same job here.
grep -v -E '^(mkdocs|mkdocs-material|mkdocstrings|mkdocstrings-python|zensical|gunicorn)=' \
    "$dest/requirements.txt" | sed 's/psycopg\[c,pool\]/psycopg[binary,pool]/' > "$scratch/netbox-requirements.txt"
"$venv/bin/pip" install -q -r "$scratch/netbox-requirements.txt"

mkdir -p "$(dirname "$out")"
"$venv/bin/python" "$here/../django_routes.py" --settings netbox.oracle_settings --root "$dest" \
    --pythonpath "$dest/netbox" --name netbox --out "$out" --flip LOGIN_REQUIRED=False \
    --after-setup "from django.core.cache import cache; cache.set('config', {}, None); cache.set('config_version', None, None)"
