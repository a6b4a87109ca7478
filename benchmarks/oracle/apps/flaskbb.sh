#!/usr/bin/env bash
# Bring flaskbb/flaskbb at the recorded sha and write its Flask oracle (see flaskbb.md).
# Usage: flaskbb.sh SOURCE   (SOURCE: the git dir the fetch tool returned, or a checkout)
# Env: ORACLE_SCRATCH (default /work/scratch/oracle), PYTHON (a Python >= 3.12).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SHA=4b78af85e96b375fdbc4d53723cedea459c99ac4
src="${1:?usage: flaskbb.sh SOURCE}"
scratch="${ORACLE_SCRATCH:-/work/scratch/oracle}"
dest="$scratch/flaskbb"
venv="$scratch/venvs/flaskbb"
out="$scratch/out/flaskbb.json"
python="${PYTHON:-/root/.pyenv/versions/3.12.1/bin/python3}"

[ -e "$dest/.git" ] || git clone -q --no-checkout "$src" "$dest"
git -C "$dest" reset -q --soft "$SHA"
git -C "$dest" restore --source="$SHA" --staged --worktree -- .
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
# pyproject.toml's dependencies (requirements.txt is stale: it names a git URL)
"$venv/bin/pip" install -q -e "$dest"

# FlaskBB at this sha relies on Python 3.14's deferred annotations (names imported under
# TYPE_CHECKING appear in annotations). Python 3.14 is not installable here, so FlaskBB's
# modules and plugins are compiled with the `annotations` future flag: the same source and line
# numbers, annotations kept as strings instead of evaluated when the def runs.
prelude=$(cat <<'EOF'
import __future__
import importlib.machinery
import sys

class _DeferredAnnotationsLoader(importlib.machinery.SourceFileLoader):
    def source_to_code(self, data, path, *, _optimize=-1):
        return compile(data, path, "exec", dont_inherit=True, optimize=_optimize,
                       flags=__future__.annotations.compiler_flag)

class _DeferredAnnotationsFinder(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if not fullname.split(".")[0].startswith("flaskbb"):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = _DeferredAnnotationsLoader(spec.loader.name, spec.loader.path)
        return spec

sys.path_importer_cache.clear()
sys.meta_path.insert(0, _DeferredAnnotationsFinder)
sys.dont_write_bytecode = True
EOF
)
# As tests/fixtures do: TestingConfig (in-memory SQLite), create_all, default groups and
# settings; then a category, forum, user, topic and post so that id 1 is a real row. CSRF is off
# (an anonymous browser holds a token; the probe does not fetch one) and so is the rate limiter.
setup=$(cat <<'EOF'
from flaskbb.extensions import db, limiter
from flaskbb.utils.populate import create_default_groups, create_default_settings
from flaskbb.forum.models import Category, Forum, Post, Topic
from flaskbb.user.models import User
app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
limiter.enabled = False
context = app.app_context()
context.push()
db.create_all()
groups = create_default_groups()
create_default_settings()
category = Category(title="Category")
category.save()
forum = Forum(title="Forum", category_id=category.id)
forum.groups = groups
forum.save()
user = User(username="member", email="member@example.org", password="test",
            primary_group=groups[3], activated=True)
user.save()
Topic(title="Topic").save(forum=forum, user=user, post=Post(content="Post"))
path_values = {"username": "member", "slug": "forum", "plugin": "portal"}
EOF
)
# Second probe: the permissions an administrator can give the Guest group (not the moderator or
# admin roles); a route that opens with them is gated by a setting, not by authentication.
open_setup=$(cat <<'EOF'
from flaskbb.extensions import cache
from flaskbb.user.models import Group
guest = Group.query.filter_by(guest=True).first()
for flag in ("editpost", "deletepost", "deletetopic", "posttopic", "postreply", "viewhidden",
             "makehidden"):
    setattr(guest, flag, True)
guest.save()
cache.clear()
EOF
)
mkdir -p "$(dirname "$out")"
(cd "$dest" && "$venv/bin/python" "$here/../flask_routes.py" \
    --app 'flaskbb:create_app(__import__("flaskbb.configs.testing", fromlist=["_"]).TestingConfig)' \
    --root "$dest" --name flaskbb --out "$out" --prelude "$prelude" --setup "$setup" \
    --open-setup "$open_setup") 2> >(grep -v 'SAWarning\|session.execute\|scalar()' >&2)
