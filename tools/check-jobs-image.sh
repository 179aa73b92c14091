#!/usr/bin/env bash
# `make test` step: exercise the jobs image's install steps on the host (no Docker engine runs here).
# Copies exactly what the Dockerfile copies into a temp dir, runs the image's CLI install step there
# (npm ci --omit=dev, bin/rampart linked on PATH, the compile cache warmed), then verifies the tools as the
# image build does, and that the warmed cache serves real commands.
# Not exercised here: the apt part of `install` (PostgreSQL's own apt repository is not reachable); the host's
# Debian PostgreSQL client stands in for it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash -n "$root/tools/jobs-image.sh"
grep -q 'tools/jobs-image.sh install ' "$root/Dockerfile" || { echo "Dockerfile does not run tools/jobs-image.sh install" >&2; exit 1; }
grep -q 'tools/jobs-image.sh verify' "$root/Dockerfile" || { echo "Dockerfile does not verify the image" >&2; exit 1; }
app=$(mktemp -d)
path=$(mktemp -d)
trap 'rm -rf "$app" "$path"' EXIT
# The Dockerfile's COPY lines, mirrored.
cp "$root/package.json" "$root/package-lock.json" "$root/Pulumi.yaml" "$app/"
mkdir -p "$app/tools" "$app/stacks"
cp "$root/tools/jobs-image.sh" "$app/tools/"
cp -r "$root/bin" "$root/posture" "$root/scripts" "$app/"
cp "$root"/stacks/Pulumi.*.yaml "$app/stacks/"
# The Dockerfile's ENV: the compile cache the install step warms (as the current user here).
export NODE_COMPILE_CACHE="$app/.compile-cache"
bash "$root/tools/jobs-image.sh" install-app "$app" "$path"
PATH="$path:$PATH" bash "$root/tools/jobs-image.sh" verify
PATH="$path:$PATH" rampart --help >/dev/null
# A warm cache serves a run entirely: running commands adds no entry (a miss would add one).
entries() { find "$NODE_COMPILE_CACHE" -type f | wc -l; }
before=$(entries)
PATH="$path:$PATH" rampart posture --stack local >/dev/null
PATH="$path:$PATH" rampart backups list --stack local --json >/dev/null
after=$(entries)
[[ $before -gt 0 && $before -eq $after ]] || {
  echo "compile cache not warm: $before entries after install, $after after running commands" >&2
  exit 1
}
