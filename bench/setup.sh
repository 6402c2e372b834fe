#!/usr/bin/env bash
# Fetches Postfix's smtp-source (the load generator) and smtp-sink (the C reference server) into
# bench/.peers/postfix, which git ignores.
# Idempotent. The postfix package is only unpacked, never installed: no mail daemon is configured
# or started. Needs apt-get (Debian/Ubuntu) and network access to the Debian mirrors.
set -euo pipefail
peers="$(cd "$(dirname "$0")" && pwd)/.peers"
smtp_source="$peers/postfix/usr/sbin/smtp-source"
if [ ! -x "$smtp_source" ]; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  chmod 755 "$scratch" # apt-get download runs as the _apt user when it can
  (cd "$scratch" && { apt-get download postfix 2>/dev/null || {
    apt-get update -qq && apt-get download postfix; }; })
  mkdir -p "$peers"
  dpkg -x "$scratch"/postfix_*.deb "$peers/postfix"
  dpkg-deb -f "$scratch"/postfix_*.deb Version >"$peers/postfix/VERSION"
fi
# smtp-source prints its usage and exits non-zero when run without arguments.
if ! { LD_LIBRARY_PATH="$peers/postfix/usr/lib/postfix" "$smtp_source" 2>&1 || true; } | grep -q usage; then
  echo "setup.sh: $smtp_source does not run" >&2
  exit 1
fi
echo "smtp-source and smtp-sink ready: postfix $(cat "$peers/postfix/VERSION")"
