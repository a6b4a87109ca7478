#!/usr/bin/env bash
# Bring CTFd/CTFd at the recorded sha and write its Flask oracle (see ctfd.md).
# Usage: ctfd.sh SOURCE   (SOURCE: the git dir the fetch tool returned, or a checkout)
# Env: ORACLE_SCRATCH (default /work/scratch/oracle), PYTHON (a Python >= 3.9; default python3).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SHA=91ced62d44d3ec3142a0948ee96ed19947cfc979
src="${1:?usage: ctfd.sh SOURCE}"
scratch="${ORACLE_SCRATCH:-/work/scratch/oracle}"
dest="$scratch/ctfd"
venv="$scratch/venvs/ctfd"
out="$scratch/out/ctfd.json"

[ -e "$dest/.git" ] || git clone -q --no-checkout "$src" "$dest"
git -C "$dest" reset -q --soft "$SHA"
git -C "$dest" restore --source="$SHA" --staged --worktree -- .
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/pip" install -q -r "$dest/requirements.txt"

# The app is built by tests/helpers.create_ctfd(): TestingConfig (in-memory SQLite), SAFE_MODE,
# and the /setup form posted, so the probe sees a configured CTF with default settings.
# An anonymous browser holds the session nonce CTFd hands out and sends it with each POST
# (its CSRF check is a before_request hook): the probe does the same.
setup=$(cat <<'EOF'
NONCE = "oracle-anonymous-nonce"
def prepare_request(client, method, path):
    with client.session_transaction() as session:
        session["nonce"] = NONCE
    if method in ("GET", "HEAD"):
        return {}
    return {"data": {"nonce": NONCE}, "headers": {"CSRF-Token": NONCE}}
auth_overrides = {
    "auth.oauth_login": (False, "starts the OAuth login for anyone; it sends the visitor to /login "
                         "only because no OAuth client is configured in the test settings"),
    "auth.oauth_redirect": (False, "the OAuth callback, open to anyone; without a configured "
                            "client it sends the visitor back to /login"),
    "views.integrations": (False, "its inline check is `is_admin() or is_setup() is False`: the "
                           "probe ran after setup (403); before setup anyone passes",
                           "open until the CTF is set up (is_setup() is False)"),
}
EOF
)
# Second probe: the admin settings that let anonymous visitors in where CTFd can (everything
# public) and teams mode (the /teams pages answer 404 in the default users mode).
open_setup=$(cat <<'EOF'
from CTFd.utils import set_config
with app.app_context():
    for key, value in {"challenge_visibility": "public", "score_visibility": "public",
                       "account_visibility": "public", "registration_visibility": "public",
                       "user_mode": "teams"}.items():
        set_config(key, value)
EOF
)
# Third probe: the strictest visibility settings, back in users mode. A route open by default and
# closed here is gated by a setting (auth stays false; auth_condition names the gate).
closed_setup=$(cat <<'EOF'
from CTFd.utils import set_config
with app.app_context():
    for key, value in {"challenge_visibility": "private", "score_visibility": "private",
                       "account_visibility": "private", "registration_visibility": "private",
                       "user_mode": "users"}.items():
        set_config(key, value)
EOF
)
mkdir -p "$(dirname "$out")"
(cd "$dest" && "$venv/bin/python" "$here/../flask_routes.py" --app 'tests.helpers:create_ctfd()' \
    --root "$dest" --name ctfd --out "$out" --setup "$setup" --open-setup "$open_setup" \
    --closed-setup "$closed_setup") \
    2> >(grep -v 'not a valid cookie domain\|warnings.warn\|SAFE_MODE\|OAuth State' >&2)
