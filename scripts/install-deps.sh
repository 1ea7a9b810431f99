#!/usr/bin/env bash
# Installs what uniemu needs on Debian 12 (run as root). Idempotent.
# Unicorn comes from Debian 13 (trixie) through a pinned apt source: bookworm's 2.0.1
# sends every guest store through a slow path (4x slower on real programs).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

if [ ! -f /etc/apt/sources.list.d/trixie.sources ]; then
  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=http://deb.debian.org/debian
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" | $SUDO tee /etc/apt/sources.list.d/trixie.sources >/dev/null
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' | $SUDO tee /etc/apt/preferences.d/trixie >/dev/null
  need_update=1
fi

pkgs="build-essential cmake pkg-config libcapstone-dev libelf-dev libdw-dev zlib1g-dev musl-tools busybox-static strace python3 golang-go chromium"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
uc_ok=0
if dpkg -s libunicorn-dev >/dev/null 2>&1; then
  case "$(dpkg-query -W -f='${Version}' libunicorn-dev)" in 2.1.*) uc_ok=1;; esac
fi
if [ -n "$missing" ] || [ "$uc_ok" = 0 ]; then
  $SUDO apt-get update -qq
  [ -z "$missing" ] || $SUDO apt-get install -y -qq $missing
  [ "$uc_ok" = 1 ] || $SUDO apt-get install -y -qq -t trixie libunicorn-dev
fi
