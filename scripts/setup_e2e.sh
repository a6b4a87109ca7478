#!/usr/bin/env bash
# Installs, once and cached, what tests/e2e needs to drive a real VS Code:
# Debian's chromium (+ libkrb5-dev and ripgrep for code-server's build), code-server from npm,
# the Python playwright package, and the packaged backcheck .vsix.
# Safe to run again: each step checks what is already there and does nothing when it is.
# Environment: BACKCHECK_E2E_CACHE (default ~/.cache/backcheck-e2e), PYTHON (default .venv/bin/python).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${BACKCHECK_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backcheck-e2e}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
# code-server 4.100.x is the newest line that runs on Node 20, the Node this machine ships.
CODE_SERVER_VERSION="4.100.3"
# @vscode/ripgrep in that release downloads a ripgrep build at install time; we seed its cache instead.
RIPGREP_PKG_VERSION="1.15.11"
RIPGREP_ASSET="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
PLAYWRIGHT_VERSION="1.65.2"

log() { printf '[e2e-setup] %s\n' "$*" >&2; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

# 1. System packages (Debian): only when one is missing, so a warm run never touches apt.
apt_missing=()
for pkg in chromium libkrb5-dev ripgrep; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    apt_missing+=("$pkg")
  fi
done
if (( ${#apt_missing[@]} )); then
  t0=$(date +%s)
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
      log "missing Debian packages: ${apt_missing[*]}; install them as root (apt-get install ${apt_missing[*]}), the e2e tests skip until then"
      exit 0
    fi
  fi
  log "installing Debian packages: ${apt_missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_missing[@]}" >/dev/null
  log "Debian packages installed in $(elapsed "$t0")"
fi

# 2. code-server, installed into its own versioned folder and moved into place only when complete.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none)"
if [[ "$node_major" != "20" ]]; then
  log "code-server $CODE_SERVER_VERSION needs Node 20 (found: $node_major); the VS Code e2e tests skip until it is installed"
  exit 0
fi
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"
if [[ ! -f "$CS_DIR/.complete" ]]; then
  t0=$(date +%s)
  log "installing code-server $CODE_SERVER_VERSION into $CS_DIR (takes about a minute)"
  mkdir -p "$CACHE"
  staging="$CS_DIR.partial"
  rm -rf "$staging" && mkdir -p "$staging/tmp"
  seed="$staging/tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
  mkdir -p "$seed" "$staging/rg"
  cp "$(command -v rg)" "$staging/rg/rg"
  tar czf "$seed/$RIPGREP_ASSET" -C "$staging/rg" rg
  (
    cd "$staging"
    printf '{"name":"backcheck-e2e-code-server","private":true}\n' > package.json
    # unsafe_perm: postinstall refuses to run as root without it; yes: node-pty's postinstall uses npx.
    TMPDIR="$staging/tmp" npm_config_unsafe_perm=true npm_config_yes=true \
      npm install --no-audit --no-fund --foreground-scripts --loglevel=error \
      "code-server@$CODE_SERVER_VERSION" > "$staging/install.log" 2>&1 \
      || { tail -n 40 "$staging/install.log" >&2; log "code-server install failed; full log: $staging/install.log"; exit 1; }
  )
  rm -rf "$staging/tmp" "$staging/rg"
  rm -rf "$CS_DIR" && mv "$staging" "$CS_DIR"
  "$CS_BIN" --version >/dev/null
  touch "$CS_DIR/.complete"
  log "code-server installed in $(elapsed "$t0")"
fi

# 3. Python playwright (drives the system chromium; it never downloads a browser here).
if ! "$PY" -c "import playwright.sync_api" 2>/dev/null; then
  t0=$(date +%s)
  log "installing playwright $PLAYWRIGHT_VERSION into $("$PY" -c 'import sys; print(sys.prefix)')"
  "$PY" -m pip install -q "playwright==$PLAYWRIGHT_VERSION"
  log "playwright installed in $(elapsed "$t0")"
fi

# 4. The .vsix, rebuilt only when a source file is newer than it.
EXT="$ROOT/extension"
if [[ -f "$EXT/package.json" ]]; then
  vsix="$(ls -t "$EXT"/*.vsix 2>/dev/null | head -n 1 || true)"
  stale=1
  if [[ -n "$vsix" ]]; then
    newer="$(find "$EXT/src" "$EXT/package.json" "$EXT/package-lock.json" "$EXT/tsconfig.json" \
      "$EXT/esbuild.mjs" "$EXT/.vscodeignore" -newer "$vsix" 2>/dev/null | head -n 1)"
    [[ -z "$newer" ]] && stale=0
  fi
  if (( stale )); then
    t0=$(date +%s)
    log "building the extension package"
    # The extension's npm dependencies are kept in the cache, keyed by the lockfile, and hard-linked into
    # a fresh clone (a copy, not a symlink, so a later `npm ci` there cannot empty the cache).
    if [[ ! -e "$EXT/node_modules" ]]; then
      deps="$CACHE/extension-deps-$(sha256sum "$EXT/package-lock.json" | cut -c1-16)"
      if [[ ! -f "$deps/node_modules/.package-lock.json" ]]; then
        rm -rf "$deps" && mkdir -p "$deps"
        cp "$EXT/package.json" "$EXT/package-lock.json" "$deps/"
        (cd "$deps" && npm ci --no-audit --no-fund --loglevel=error) >&2
      fi
      cp -al "$deps/node_modules" "$EXT/node_modules" 2>/dev/null || cp -a "$deps/node_modules" "$EXT/node_modules"
    fi
    (cd "$EXT" && npm run --silent package) >&2
    log "extension packaged in $(elapsed "$t0")"
  fi
fi

log "ready: code-server $CS_BIN, chromium $(command -v chromium || echo missing)"
