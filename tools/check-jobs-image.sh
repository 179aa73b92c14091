#!/usr/bin/env bash
# `make test` step: exercise the jobs image's install steps on the host (no Docker engine runs here).
# Copies exactly what the Dockerfile copies into a temp dir, runs the image's CLI install step there
# (npm ci --omit=dev + the rampart wrapper), then verifies the tools as the image build does.
# Not exercised here: the apt part of `install` (PostgreSQL's own apt repository is not reachable); the host's
# Debian PostgreSQL client stands in for it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash -n "$root/tools/jobs-image.sh"
grep -q 'tools/jobs-image.sh install ' "$root/Dockerfile" || { echo "Dockerfile does not run tools/jobs-image.sh install" >&2; exit 1; }
grep -q 'tools/jobs-image.sh verify' "$root/Dockerfile" || { echo "Dockerfile does not verify the image" >&2; exit 1; }
app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
# The Dockerfile's COPY lines, mirrored.
cp "$root/package.json" "$root/package-lock.json" "$root/Pulumi.yaml" "$app/"
mkdir -p "$app/tools" "$app/stacks"
cp "$root/tools/jobs-image.sh" "$app/tools/"
cp -r "$root/posture" "$root/scripts" "$app/"
cp "$root"/stacks/Pulumi.*.yaml "$app/stacks/"
bash "$root/tools/jobs-image.sh" install-app "$app" "$app/bin"
PATH="$app/bin:$PATH" bash "$root/tools/jobs-image.sh" verify
# Every command must load with production dependencies only.
PATH="$app/bin:$PATH" rampart --help >/dev/null
