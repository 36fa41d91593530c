#!/bin/sh
# Installs the Debian packages that building, running and testing Mini Containers need, when any is missing.
# Run as root on Debian 12 (as `npm start` and `npm test` do). Prints what it installs; quiet when nothing is due.
#
# Packages whose daemon the tests start themselves, on their own socket (docker.io: dockerd and containerd;
# docker-registry, on a free port of 127.0.0.1), are
# installed with a policy-rc.d that forbids starting services, unless one exists already: a default daemon left
# running as root on /var/run/docker.sock would outlive the tests (Debian's postinst starts it, with or without
# systemd). Docker's own Debian images ship such a policy (exit 101) for the same reason.
#
# Another package manager (apt, unattended-upgrades, a software centre) may hold apt's locks: this waits for them,
# saying so, up to MINI_CONTAINERS_APT_LOCK_TIMEOUT seconds (default 300). When a step fails, the last line says
# which command failed and why. MINI_CONTAINERS_DEBIAN_PACKAGES replaces the list (its tests use it).
set -eu

packages=${MINI_CONTAINERS_DEBIAN_PACKAGES:-'busybox-static chromium ripgrep shellcheck build-essential python3 pkg-config
libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev util-linux procps sudo pkexec dbus bubblewrap debootstrap
libcap2-bin strace docker.io slirp4netns passt skopeo docker-registry apache2-utils xz-utils zstd mmdebstrap uidmap'}
timeout=${MINI_CONTAINERS_APT_LOCK_TIMEOUT:-300}
case $timeout in '' | *[!0-9]*) echo "debian-packages.sh: MINI_CONTAINERS_APT_LOCK_TIMEOUT must be a number of seconds, not '$timeout'" >&2; exit 2 ;; esac

missing=''
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $package"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages:$missing — run this as root (sudo npm start / sudo npm test) or install them." >&2
  exit 1
fi

errors=$(mktemp)
policy=/usr/sbin/policy-rc.d
made_policy=''
trap 'rm -f "$errors"; [ -z "$made_policy" ] || rm -f "$policy"' EXIT

# Runs "$@" (an apt-get command) with its errors in $errors; while they say a lock is held, waits and tries again
# until $timeout seconds have passed since the first try. Fails with a last line naming the command and its error.
apt_get() {
  started=$(date +%s)
  said=''
  while :; do
    "$@" 2>"$errors" && { cat "$errors" >&2; return 0; }
    status=$?
    # Whole seconds: a difference of timeout + 1 means more than timeout seconds have passed.
    waited=$(($(date +%s) - started))
    if grep -q -e 'Could not get lock' -e 'Unable to acquire the dpkg frontend lock' -e 'Unable to lock' "$errors" && [ "$waited" -le "$timeout" ]; then
      if [ -z "$said" ]; then
        echo "Another package manager holds apt's lock ($(grep -m1 -o 'held by process .*' "$errors" || echo 'its holder is not named')): waiting up to $timeout s…" >&2
        said=1
      fi
      sleep 2
      continue
    fi
    cat "$errors" >&2
    why=$(grep -e '^E:' "$errors" | tail -n 1)
    echo "debian-packages.sh: '$*' failed (exit $status) after ${waited} s: ${why:-see the lines above}" >&2
    return "$status"
  done
}

# The missing packages with a daemon of their own (see the header), and the others.
daemons=''
others=''
for package in $missing; do
  case $package in
    docker.io | containerd | docker-registry) daemons="$daemons $package" ;;
    *) others="$others $package" ;;
  esac
done

echo "Installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt_get apt-get update -qq
# shellcheck disable=SC2086 # a list of package names, split on purpose
[ -z "$others" ] || apt_get apt-get install -y -qq $others >/dev/null
if [ -n "$daemons" ]; then
  if [ ! -e "$policy" ]; then
    made_policy=1
    printf '#!/bin/sh\n# Left by mini-containers debian-packages.sh while it installs%s; removed when it ends.\nexit 101\n' "$daemons" >"$policy"
    chmod 755 "$policy"
  fi
  # shellcheck disable=SC2086 # a list of package names, split on purpose
  apt_get apt-get install -y -qq $daemons >/dev/null
  if [ -n "$made_policy" ]; then
    rm -f "$policy"
    made_policy=''
  fi
fi
