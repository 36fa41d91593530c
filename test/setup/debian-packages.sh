#!/bin/sh
# Installs the Debian packages that building, running and testing Mini Containers need, when any is missing.
# Run as root on Debian 12 (as `npm start` and `npm test` do). Prints what it installs; quiet when nothing is due.
set -eu

packages='busybox-static chromium ripgrep shellcheck build-essential python3 pkg-config libkrb5-dev libx11-dev
libxkbfile-dev libsecret-1-dev util-linux procps sudo pkexec dbus bubblewrap debootstrap libcap2-bin strace'

missing=''
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $package"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages:$missing — run this as root (sudo npm start / sudo npm test) or install them." >&2
  exit 1
fi
echo "Installing Debian packages:$missing"
apt-get update -qq
# shellcheck disable=SC2086 # a list of package names, split on purpose
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
