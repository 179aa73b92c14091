#!/usr/bin/env bash
# Install steps of the Rampart jobs image (see Dockerfile), kept in one script so they are exercised on
# the host by `make test` (verify mode) even where no Docker engine runs.
#
#   tools/jobs-image.sh install <pg-major> <app-dir>   # inside the image build (root, Debian bookworm)
#   tools/jobs-image.sh install-app <app-dir> <bin-dir> # the CLI part of install (also run on the host by make test)
#   tools/jobs-image.sh verify  [rampart-cmd...]        # check the tools the jobs need are present and run
set -euo pipefail

# Pinned tool versions (bump deliberately; the image build fails rather than drift).
AGE_VERSION=1.1.1
PGDG_KEY_URL=https://www.postgresql.org/media/keys/ACCC4CF8.asc

die() { echo "jobs-image: $*" >&2; exit 1; }

install_image() {
  local pg_major=${1:?pg major required} app=${2:?app dir required}
  [[ $pg_major =~ ^1[3-8]$ ]] || die "unsupported PostgreSQL major '$pg_major' (13..18)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends ca-certificates curl gnupg zstd "age=${AGE_VERSION}*"
  # PostgreSQL's own repository: Debian ships one major per release; pg_dump must be >= the server's major.
  install -d /usr/share/postgresql-common/pgdg
  curl -fsSL "$PGDG_KEY_URL" -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc
  . /etc/os-release
  echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" \
    >/etc/apt/sources.list.d/pgdg.list
  apt-get update
  apt-get install -y --no-install-recommends "postgresql-client-${pg_major}"
  apt-get purge -y --auto-remove curl gnupg
  rm -rf /var/lib/apt/lists/*
  install_app "$app" /usr/local/bin
  npm cache clean --force
  id rampart >/dev/null 2>&1 || useradd --system --uid 10001 --home-dir /home/rampart --create-home rampart
}

# The CLI: production dependencies only (a dev-only import fails here, not in production), run by Node's
# native type stripping through a wrapper on PATH.
install_app() {
  local app=${1:?app dir required} bin=${2:?bin dir required}
  (cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  install -d "$bin"
  printf '#!/bin/sh\nexec node %s/scripts/cli.ts "$@"\n' "$app" >"$bin/rampart"
  chmod 0755 "$bin/rampart"
}

verify() {
  local rampart=("$@")
  ((${#rampart[@]})) || rampart=(rampart)
  local v
  v=$(node --version) || die "node is missing"
  [[ $v =~ ^v(2[4-9]|[3-9][0-9])\. ]] || die "node $v is too old (need 24+)"
  echo "node $v"
  v=$("${rampart[@]}" --version) || die "rampart --version failed"
  echo "rampart $v"
  v=$(pg_dump --version) || die "pg_dump is missing"
  echo "$v"
  pg_restore --version >/dev/null || die "pg_restore is missing"
  v=$(age --version) || die "age is missing"
  echo "age $v"
  zstd --version >/dev/null || die "zstd is missing"
}

case ${1:-} in
  install) shift; install_image "$@" ;;
  install-app) shift; install_app "$@" ;;
  verify) shift; verify "$@" ;;
  *) die "usage: $0 install <pg-major> <app-dir> | install-app <app-dir> <bin-dir> | verify [rampart-cmd...]" ;;
esac
