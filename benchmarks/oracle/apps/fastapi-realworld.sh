#!/usr/bin/env bash
# Bring nsidnev/fastapi-realworld-example-app at the recorded sha and write its FastAPI oracle
# (see fastapi-realworld.md).
# Usage: fastapi-realworld.sh SOURCE   (SOURCE: the git dir the fetch tool returned, or a checkout)
# Env: ORACLE_SCRATCH (default /work/scratch/oracle), PYTHON (a Python 3.9 or 3.10: asyncpg 0.26
# has no wheel for newer ones), PGBIN (PostgreSQL's bin dir, default /usr/lib/postgresql/15/bin).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SHA=029eb7781c60d5f563ee8990a0cbfb79b244538c
src="${1:?usage: fastapi-realworld.sh SOURCE}"
scratch="${ORACLE_SCRATCH:-/work/scratch/oracle}"
dest="$scratch/fastapi-realworld"
venv="$scratch/venvs/fastapi-realworld"
out="$scratch/out/fastapi-realworld.json"
python="${PYTHON:-/root/.pyenv/versions/3.10.13/bin/python3}"
pgbin="${PGBIN:-/usr/lib/postgresql/15/bin}"
pgdata="$scratch/data/pg-realworld"
port="${PGPORT_ORACLE:-54331}"

[ -e "$dest/.git" ] || git clone -q --no-checkout "$src" "$dest"
git -C "$dest" reset -q --soft "$SHA"
git -C "$dest" restore --source="$SHA" --staged --worktree -- .

# The app pins its dependencies with poetry: the lock file's versions become pip constraints and
# the main group's names the requirements (requests for Starlette 0.19's TestClient).
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
"$venv/bin/pip" install -q -c "$venv/constraints.txt" $(lock_reqs requirements) requests

# Its tests run against PostgreSQL (docker); here a private cluster on a local port, migrated with
# the app's alembic scripts, with one user, article and comment so that "1" names a real row.
# PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
if [ ! -s "$pgdata/PG_VERSION" ]; then
    mkdir -p "$pgdata"
    chown postgres "$pgdata"
    su postgres -c "$pgbin/initdb -D $pgdata -A trust -U postgres" >/dev/null
fi
# the cluster must be this script's own: refuse a port another server already holds
if ! su postgres -c "$pgbin/pg_ctl -D $pgdata status" >/dev/null; then
    if su postgres -c "$pgbin/pg_isready -q -h localhost -p $port"; then
        echo "port $port is taken by another PostgreSQL; set PGPORT_ORACLE" >&2
        exit 1
    fi
    su postgres -c "$pgbin/pg_ctl -D $pgdata -o '-p $port -k /tmp' -l $pgdata/log -w start" \
        >/dev/null
fi
su postgres -c "$pgbin/createdb -h /tmp -p $port realworld" 2>/dev/null || true
export APP_ENV=test SECRET_KEY=oracle-secret
export DATABASE_URL="postgresql://postgres@localhost:$port/realworld"
(cd "$dest" && "$venv/bin/alembic" upgrade head >/dev/null 2>&1)

setup=$(cat <<'EOF'
import os
import psycopg2
connection = psycopg2.connect(os.environ["DATABASE_URL"])
with connection, connection.cursor() as cursor:
    cursor.execute("TRUNCATE users, articles, tags, commentaries RESTART IDENTITY CASCADE")
    cursor.execute("INSERT INTO users (username, email, salt, hashed_password)"
                   " VALUES ('1', '1@example.org', 'salt', 'hash')")
    cursor.execute("INSERT INTO articles (slug, title, description, body, author_id)"
                   " VALUES ('1', 't', 'd', 'b', 1)")
    cursor.execute("INSERT INTO commentaries (body, author_id, article_id) VALUES ('c', 1, 1)")
connection.close()
EOF
)
mkdir -p "$(dirname "$out")"
(cd "$dest" && "$venv/bin/python" "$here/../fastapi_routes.py" --app 'app.main:get_application()' \
    --root "$dest" --name fastapi-realworld --out "$out" --setup "$setup" --lifespan) \
    2> >(grep -v ' | INFO ' >&2)
su postgres -c "$pgbin/pg_ctl -D $pgdata -m fast stop" >/dev/null
