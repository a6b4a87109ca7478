#!/usr/bin/env bash
# Bring mealie-recipes/mealie at the recorded sha and write its FastAPI oracle (see mealie.md).
# Usage: mealie.sh SOURCE   (SOURCE: the git dir the fetch tool returned, or a checkout)
# Env: ORACLE_SCRATCH (default /work/scratch/oracle), PYTHON (a Python >= 3.12).
# Needs Debian's libldap2-dev and libsasl2-dev (python-ldap builds from source).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SHA=b5643a9399465d8b4ea339e7a6639df2d697741b
src="${1:?usage: mealie.sh SOURCE}"
scratch="${ORACLE_SCRATCH:-/work/scratch/oracle}"
dest="$scratch/mealie"
venv="$scratch/venvs/mealie"
out="$scratch/out/mealie.json"
data="$scratch/data/mealie"
python="${PYTHON:-/root/.pyenv/versions/3.12.1/bin/python3}"

[ -e "$dest/.git" ] || git clone -q --no-checkout "$src" "$dest"
git -C "$dest" reset -q --soft "$SHA"
# one test archive is missing from the mirror; the app does not need it
git -C "$dest" restore --source="$SHA" --staged --worktree -- . \
    ':!tests/data/migrations/recipekeeper.zip'

# poetry project: the lock's versions as pip constraints, the main group's names as requirements
lock_reqs() {
    python3 - "$dest" "$1" <<'EOF'
import sys, tomllib, pathlib
root, mode = pathlib.Path(sys.argv[1]), sys.argv[2]
if mode == "constraints":
    for package in tomllib.loads((root / "poetry.lock").read_text())["package"]:
        print(f'{package["name"]}=={package["version"]}')
else:
    deps = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["poetry"]["dependencies"]
    for name, spec in deps.items():
        if name == "python" or (isinstance(spec, dict) and spec.get("optional")):
            continue
        extras = spec.get("extras", []) if isinstance(spec, dict) else []
        print(name + (f'[{",".join(extras)}]' if extras else ""))
EOF
}
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
lock_reqs constraints > "$venv/constraints.txt"
# shellcheck disable=SC2046
"$venv/bin/pip" install -q -c "$venv/constraints.txt" $(lock_reqs requirements)

# tests/conftest.py's environment; the data dir (SQLite file included) is a fresh scratch folder
prelude=$(cat <<EOF
import os
os.environ.update(PRODUCTION="True", TESTING="True", ALLOW_SIGNUP="True",
                  OPENAI_API_KEY="dummy-api-key", DATA_DIR="$data")
EOF
)
# As conftest.py: init_db() (schema, seeded group "Home", household "Family", admin user) and the
# session override. The explore routes answer 404 for a private group (the seeded default):
# the explorer tests make the group public, and so does this, probing with its slugs.
setup=$(cat <<'EOF'
from mealie.db.db_setup import SessionLocal, generate_session
from mealie.db.init_db import main as init_db
from mealie.repos.all_repositories import get_repositories
init_db()
def override_get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
app.dependency_overrides[generate_session] = override_get_db
with SessionLocal() as session:
    repos = get_repositories(session, group_id=None, household_id=None)
    group = repos.groups.get_by_name("Home")
    group.preferences.private_group = False
    repos.group_preferences.update(group.id, group.preferences)
    households = get_repositories(session, group_id=group.id, household_id=None).households
    household = households.get_by_name("Family")
    path_values = {"group_slug": group.slug, "household_slug": household.slug}
route_conditions = {"^/api/explore/": "the group's private_group preference is off (seeded on: "
                    "a private group answers 404); the probe ran with it off"}
EOF
)
rm -rf "$data"
mkdir -p "$data" "$(dirname "$out")"
(cd "$dest" && "$venv/bin/python" "$here/../fastapi_routes.py" --app 'mealie.app:app' \
    --root "$dest" --name mealie --out "$out" --prelude "$prelude" --setup "$setup") \
    2> >(grep -v 'HTTP Request:\|^\[ERROR\|^\[INFO\|^\[WARNING' >&2)
