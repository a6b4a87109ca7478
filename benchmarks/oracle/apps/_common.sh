# Shared by the apps/*.sh scripts of the Django oracle: pick a Python, clone a source at a sha.
# shellcheck shell=bash

# A Python >= $1 (e.g. 3.12): $PYTHON when set, else the first suitable interpreter found.
pick_python() {
    local want="$1" cand
    for cand in ${PYTHON:-} python3.13 python3.12 python3 /root/.pyenv/versions/3.1[2-9]*/bin/python3; do
        [ -n "$cand" ] || continue
        if "$cand" -c "import sys; sys.exit(sys.version_info < tuple(map(int, '$want'.split('.'))))" 2>/dev/null; then
            echo "$cand"
            return 0
        fi
    done
    echo "no Python >= $want found (set PYTHON)" >&2
    return 1
}

# clone_at SOURCE DEST SHA [EXCLUDED PATH...]: SOURCE is a git dir or a checkout. A mirror may lack
# a few large blobs: the work tree is laid from SHA leaving out the EXCLUDED paths.
clone_at() {
    local src="$1" dest="$2" sha="$3"
    shift 3
    if [ ! -e "$dest/.git" ]; then
        git clone -q --no-checkout "$src" "$dest"
    fi
    git -C "$dest" reset -q --soft "$sha"
    local spec=(. )
    for path in "$@"; do spec+=(":!$path"); done
    git -C "$dest" restore --source="$sha" --staged --worktree -- "${spec[@]}"
    test "$(git -C "$dest" rev-parse HEAD)" = "$sha"
}
