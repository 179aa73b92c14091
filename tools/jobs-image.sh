#!/usr/bin/env bash
# Install steps of the Rampart jobs image (see Dockerfile), kept in one script so they are exercised on
# the host by `make test` (verify mode) even where no Docker engine runs.
#
#   tools/jobs-image.sh install <pg-major> <app-dir>   # inside the image build (root, Debian bookworm)
#   tools/jobs-image.sh install-app <app-dir> <bin-dir> [cache-uid] # the CLI part of install (also run on
#                                                         # the host by make test)
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
  id rampart >/dev/null 2>&1 || useradd --system --uid 10001 --home-dir /home/rampart --create-home rampart
  install_app "$app" /usr/local/bin "$(id -u rampart)"
  env -u NODE_COMPILE_CACHE npm cache clean --force
}

# The CLI: production dependencies only (a dev-only import fails here, not in production), run by Node's
# native type stripping through the package's own entry (package.json "bin": bin/rampart), linked on PATH.
install_app() {
  local app=${1:?app dir required} bin=${2:?bin dir required} cache_uid=${3:-}
  (cd "$app" && env -u NODE_COMPILE_CACHE npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  install -d "$bin"
  ln -sfn "$app/bin/rampart" "$bin/rampart"
  [[ -z ${NODE_COMPILE_CACHE:-} ]] || warm_cache "$app" "$bin" "$NODE_COMPILE_CACHE" "$cache_uid"
}

# Imports every CLI module and every package the CLI imports lazily (import("pkg")), without running
# anything: fills the compile cache, and fails the build on a module that needs a dev dependency.
# Not scripts/lib/plan: `rampart plan` runs the Pulumi program under infra/, which the image does not ship.
# shellcheck disable=SC2016
WARM_JS='
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
const ts = (d) => readdirSync(d, { recursive: true }).filter((f) => f.endsWith(".ts")).map((f) => join(d, f));
const files = ["scripts/cli.ts", ...["scripts/commands", "scripts/lib", "posture"].flatMap(ts)].filter(
  (f) => !f.startsWith("scripts/lib/plan/"),
);
const lazy = new Set();
for (const f of files) {
  await import(pathToFileURL(f).href);
  for (const m of readFileSync(f, "utf8").matchAll(/\bimport\(\s*"([^".][^"]*)"\s*\)/g)) lazy.add(m[1]);
}
for (const p of lazy) await import(p);
console.log(`compile cache: ${files.length} modules, lazily loaded ${[...lazy].join(", ")}`);
'

# Node's compile cache (NODE_COMPILE_CACHE), pre-warmed so that every job run skips type stripping and
# parsing (~0.1 s and ~20 MB per run). Node keeps one subdirectory per uid: warm it as the uid the jobs run
# as. The result is root-owned and read-only to them, so a job cannot plant code for later runs.
warm_cache() {
  local app=$1 bin=$2 dir=$3 uid=${4:-}
  local as=()
  rm -rf "$dir"
  install -d -m 0755 "$dir"
  if [[ -n $uid ]]; then
    chown "$uid" "$dir"
    as=(setpriv --reuid="$uid" --regid="$(id -g "$uid")" --clear-groups)
  fi
  (cd "$app" && NODE_COMPILE_CACHE=$dir "${as[@]}" node --input-type=module -e "$WARM_JS")
  NODE_COMPILE_CACHE=$dir "${as[@]}" "$bin/rampart" --help >/dev/null
  if [[ -n $uid ]]; then chown -R 0:0 "$dir"; fi
  chmod -R a+rX,go-w "$dir"
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
  # coreutils' stdbuf gives pg_dump 1 MiB writes and a fed pg_restore 1 MiB reads (scripts/lib/pg/stdbuf.ts).
  [[ $(stdbuf --output=1M printf ok) == ok ]] || die "stdbuf is missing or does not work"
}

case ${1:-} in
  install) shift; install_image "$@" ;;
  install-app) shift; install_app "$@" ;;
  verify) shift; verify "$@" ;;
  *) die "usage: $0 install <pg-major> <app-dir> | install-app <app-dir> <bin-dir> [cache-uid] | verify [rampart-cmd...]" ;;
esac
