#!/bin/bash
# rampart-luks-unlock: open (on first boot: create) the LUKS-encrypted data volume and mount it.
#
# Hetzner Cloud volumes are not encrypted at rest by Hetzner, so the data volume is LUKS2. The key
# lives only in AWS Secrets Manager (CMK-encrypted) and, while this script runs, in tmpfs under /run.
# This protects a detached volume, a volume snapshot and disks leaving the datacenter. It does NOT
# protect against root on the running server: the mapping is open and the escrow credentials are on disk.
#
# Settings (systemd EnvironmentFile=/etc/rampart/volume.env): RAMPART_VOLUME_DEVICE, RAMPART_DATA_DIR,
# RAMPART_LUKS_SECRET_ID, RAMPART_AWS_CLI_IMAGE. AWS credentials: /etc/rampart/escrow.env (0600), read
# by `docker run --env-file`, never put on a command line.
set -euo pipefail

: "${RAMPART_VOLUME_DEVICE:?}" "${RAMPART_DATA_DIR:?}" "${RAMPART_LUKS_SECRET_ID:?}" "${RAMPART_AWS_CLI_IMAGE:?}"
readonly DEVICE="$RAMPART_VOLUME_DEVICE" DATA="$RAMPART_DATA_DIR" SECRET_ID="$RAMPART_LUKS_SECRET_ID"
readonly MAPPER=rampart-data ESCROW_ENV=/etc/rampart/escrow.env
readonly KEYDIR=/run/rampart-luks KEY=/run/rampart-luks/key

umask 077
install -d -m 0700 "$KEYDIR"
forget_key() { if [ -e "$KEY" ]; then shred -u "$KEY" 2>/dev/null || rm -f "$KEY"; fi; }
trap forget_key EXIT

# The AWS CLI runs in a container on the default bridge: credentials from the env file, the key
# passed through the tmpfs directory, never through argv.
aws_sm() {
  docker run --rm --env-file "$ESCROW_ENV" -v "$KEYDIR:$KEYDIR" "$RAMPART_AWS_CLI_IMAGE" secretsmanager "$@"
}

# 0: key written to $KEY; 3: the secret has no value yet (first boot); anything else aborts.
fetch_key() {
  local err
  err=$(mktemp -p "$KEYDIR")
  if aws_sm get-secret-value --secret-id "$SECRET_ID" --query SecretString --output text 2>"$err" \
    | tr -d '\n' >"$KEY" && [ -s "$KEY" ]; then
    rm -f "$err"
    return 0
  fi
  if grep -q ResourceNotFoundException "$err"; then
    rm -f "$err" "$KEY"
    return 3
  fi
  cat "$err" >&2
  rm -f "$err"
  echo "rampart-luks-unlock: cannot read the volume key from Secrets Manager ($SECRET_ID)" >&2
  exit 1
}

for _ in $(seq 1 60); do [ -b "$DEVICE" ] && break; sleep 2; done
[ -b "$DEVICE" ] || { echo "rampart-luks-unlock: $DEVICE is not attached" >&2; exit 1; }

if ! cryptsetup status "$MAPPER" >/dev/null 2>&1; then
  have_key=0
  fetch_key && have_key=1 || [ $? -eq 3 ]
  if cryptsetup isLuks "$DEVICE"; then
    if [ "$have_key" != 1 ]; then
      echo "rampart-luks-unlock: $DEVICE is encrypted but Secrets Manager holds no key: refusing to touch it" >&2
      exit 1
    fi
  else
    # Only a blank device is ever formatted: any filesystem or partition signature stops here.
    if blkid -p "$DEVICE" >/dev/null 2>&1; then
      echo "rampart-luks-unlock: $DEVICE holds data that is not LUKS: refusing to format it" >&2
      exit 1
    fi
    if [ "$have_key" != 1 ]; then
      openssl rand -base64 48 | tr -d '\n' >"$KEY"
      # Escrow first: a volume formatted with a key that never reached Secrets Manager is lost at reboot.
      aws_sm put-secret-value --secret-id "$SECRET_ID" --secret-string "file://$KEY" >/dev/null
    fi
    cryptsetup luksFormat --type luks2 --batch-mode --key-file "$KEY" "$DEVICE"
  fi
  cryptsetup open --key-file "$KEY" "$DEVICE" "$MAPPER"
fi
forget_key

if ! blkid -p "/dev/mapper/$MAPPER" >/dev/null 2>&1; then
  mkfs.ext4 -q -L rampart-data "/dev/mapper/$MAPPER"
fi
install -d -m 0755 "$DATA"
mountpoint -q "$DATA" || mount -o nodev,nosuid "/dev/mapper/$MAPPER" "$DATA"
install -d -m 0700 "$DATA/postgres" "$DATA/redis" "$DATA/secrets"

# The database password is born here, on the encrypted volume: it is never in Pulumi state or user data.
if [ ! -s "$DATA/secrets/db.env" ]; then
  password=$(openssl rand -hex 32)
  printf 'POSTGRES_PASSWORD=%s\nPGPASSWORD=%s\n' "$password" "$password" >"$DATA/secrets/db.env.tmp"
  mv "$DATA/secrets/db.env.tmp" "$DATA/secrets/db.env"
fi
