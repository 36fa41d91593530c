#!/bin/sh
# container-helper.sh — the privileged half of Mini Containers.
#
# It runs as root (directly, under sudo, or under pkexec) and treats every argument as untrusted: each one is
# validated before anything is created, nothing is ever passed to eval or built into a shell string, and every
# expansion is quoted.
#
# USAGE
#   container-helper.sh start --rootfs DIR [--name NAME] [--hostname NAME] [--status-file FILE]
#                             [--] [COMMAND [ARG]...]
#
#   Runs COMMAND (default /bin/sh) as PID 1 of new PID, mount, UTS and IPC namespaces, chrooted into DIR, with a
#   fresh proc mounted at DIR/proc and a minimal tmpfs /dev. Mount propagation is private, so neither mount ever
#   appears in the host's mount table, and both vanish with the namespace. The hostname defaults to NAME, which
#   defaults to the rootfs folder's name plus a number.
#
#   DIR       absolute, a directory after resolving links, not /, no control characters; must hold proc/ and dev/
#   NAME      [A-Za-z0-9][A-Za-z0-9_.-]{0,62}, same for --hostname
#   FILE      absolute path of a file that does not exist yet, in an existing directory; it is created without
#             following links and receives JSON lines:
#               {"event":"started","initPid":P,"startTime":T,"rootfs":"DIR","name":"NAME","hostname":"H"}
#               {"event":"exited","code":N}
#             where P is the host PID of the container's PID 1 and T field 22 of /proc/P/stat (P and T together
#             identify the container: the kernel reuses PIDs).
#   A record with the "started" line is also kept in /run/mini-containers/containers/P-T.json while it runs.
#
# EXIT STATUS (Docker's convention)
#   COMMAND's own status (128+N when it was killed by signal N)
#   125  helper error: bad argument, missing rootfs part, not root, namespace set-up failed
#   126  COMMAND found in the rootfs but not executable
#   127  COMMAND not found in the rootfs
#   Every helper error is one line on stderr starting "container-helper: " that says what to fix.
#
# SIGNALS
#   HUP, INT or TERM to the helper end the container: the helper SIGKILLs `unshare`, whose --kill-child then
#   SIGKILLs PID 1, and the kernel kills every process of the PID namespace with it.
#
# WHAT IT DOES NOT DO (see README, Security): namespaces without a user namespace are not a sandbox for root
# inside the container; this helper isolates, it does not confine.

set -eu

readonly EXIT_HELPER=125
readonly EXIT_NOEXEC=126
readonly EXIT_NOTFOUND=127
readonly REGISTRY=/run/mini-containers/containers
readonly SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() {
  printf 'container-helper: %s\n' "$1" >&2
  exit "${2:-$EXIT_HELPER}"
}

usage() {
  cat >&2 <<'EOF'
usage: container-helper.sh start --rootfs DIR [--name NAME] [--hostname NAME] [--status-file FILE] [--] [COMMAND [ARG]...]
EOF
}

# --- validation ----------------------------------------------------------------------------------------------

has_control_chars() {
  case "$1" in
    *[[:cntrl:]]*) return 0 ;;
  esac
  return 1
}

valid_name() {
  # [A-Za-z0-9][A-Za-z0-9_.-]{0,62}
  [ "${#1}" -ge 1 ] && [ "${#1}" -le 63 ] || return 1
  case "$1" in
    [!A-Za-z0-9]*) return 1 ;;
    *[!A-Za-z0-9_.-]*) return 1 ;;
  esac
  return 0
}

# Prints the physical path of rootfs $1, or dies saying what is wrong with it.
resolve_rootfs() {
  case "$1" in
    /*) ;;
    '') die "--rootfs is empty: give the absolute path of a root filesystem folder" ;;
    *) die "--rootfs must be an absolute path, got a relative one: $1" ;;
  esac
  has_control_chars "$1" && die "--rootfs contains control characters; rename the folder"
  [ -e "$1" ] || die "--rootfs does not exist: $1"
  [ -d "$1" ] || die "--rootfs is not a directory: $1"
  resolved=$(cd -P -- "$1" && pwd -P) || die "--rootfs cannot be entered: $1"
  [ "$resolved" != / ] || die "--rootfs resolves to the host's / : give a separate root filesystem folder"
  has_control_chars "$resolved" && die "--rootfs resolves to a path with control characters; rename the folder"
  { [ -d "$resolved/proc" ] && [ ! -L "$resolved/proc" ]; } || die "the rootfs has no proc/ folder: mkdir '$resolved/proc'"
  { [ -d "$resolved/dev" ] && [ ! -L "$resolved/dev" ]; } || die "the rootfs has no dev/ folder: mkdir '$resolved/dev'"
  printf '%s\n' "$resolved"
}

# The rootfs's path in JSON: control characters are refused above, so only \ and " need escaping.
json_string() {
  printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

# Follows links of $2 the way the container will, with $1 as its root; prints the host path or nothing.
resolve_in_root() {
  root=$1 path=$2 hops=0
  while [ -L "$root$path" ]; do
    hops=$((hops + 1))
    [ "$hops" -le 40 ] || return 1
    target=$(readlink -- "$root$path") || return 1
    case "$target" in
      /*) path=$target ;;
      *) path=${path%/*}/$target ;;
    esac
  done
  printf '%s\n' "$root$path"
}

# Exits 127 or 126, as the container's exec would, before any namespace is made for a command that cannot run.
check_command() {
  root=$1 cmd=$2
  case "$cmd" in
    */*)
      case "$cmd" in /*) ;; *) cmd=/$cmd ;; esac
      host=$(resolve_in_root "$root" "$cmd") || die "too many levels of links resolving '$2' in the rootfs" "$EXIT_NOTFOUND"
      [ -e "$host" ] || die "command not found in the rootfs: $2" "$EXIT_NOTFOUND"
      { [ -f "$host" ] && [ -x "$host" ]; } || die "command is not an executable file in the rootfs: $2" "$EXIT_NOEXEC"
      ;;
    *)
      old_ifs=$IFS
      IFS=:
      for dir in $SAFE_PATH; do
        host=$(resolve_in_root "$root" "$dir/$cmd") || continue
        if [ -f "$host" ] && [ -x "$host" ]; then IFS=$old_ifs; return 0; fi
      done
      IFS=$old_ifs
      die "command not found in the rootfs's PATH ($SAFE_PATH): $cmd" "$EXIT_NOTFOUND"
      ;;
  esac
}

# --- inside: two internal stages, run by `start` only ------------------------------------------------------------

# __supervise ROOTFS HOSTNAME -- COMMAND...: runs in the new mount, UTS and IPC namespaces, but still in the host's
# PID namespace; its children are born in the new one. Its first child becomes PID 1 of that namespace, so it
# must not fork before starting the init stage (a command substitution would become PID 1 and end the namespace).
# It waits for PID 1 so the exit status keeps a killing signal as 128+N, and if it dies, the kernel SIGKILLs
# PID 1 (pdeathsig) and with it every process of the namespace.
# Run by hand it is harmless: its child is then not PID 1, and the init stage refuses to run.
supervise() {
  init=''
  trap 'if [ -n "$init" ]; then kill -KILL "$init" 2>/dev/null; fi; exit 137' HUP INT TERM
  exec 4<&0
  setpriv --pdeathsig KILL -- /bin/sh "$0" __init "$@" <&4 4<&- &
  init=$!
  exec 4<&-
  code=0
  wait "$init" || code=$?
  exit "$code"
}

# __init ROOTFS HOSTNAME -- COMMAND...: PID 1 of the new PID namespace, before the chroot. fd 3, when open, is
# the status file. Arguments were validated by `start`; the names are checked again, cheaply.
init_stage() {
  [ "$$" = 1 ] || die "internal stage run outside a new PID namespace; use 'start'"
  rootfs=$1 host_name=$2
  shift 3
  { valid_name "$host_name" && valid_name "${NAME:-}"; } || die "internal stage got an invalid name or hostname"

  # Private propagation first, so nothing below can leak to the host's mount table.
  mount --make-rprivate / || die "cannot make mounts private in the new mount namespace"
  printf '%s' "$host_name" > /proc/sys/kernel/hostname || die "cannot set the hostname in the new UTS namespace"

  # Our host PID and start time: `read` is a shell builtin, so /proc/self here is this very process, which
  # becomes the container's PID 1 through the execs below. /proc is still the host's proc at this point.
  read -r stat < /proc/self/stat
  set -f
  # shellcheck disable=SC2086 # split on purpose: fields after "comm)" are numbers and one state letter
  set -- ${stat##*) } -- "$@"
  set +f
  init_pid=${stat%% *}
  start_time=${20}
  while [ "$1" != -- ]; do shift; done
  shift

  mount -t proc -o nosuid,nodev,noexec proc "$rootfs/proc" || die "cannot mount proc on $rootfs/proc"
  setup_dev "$rootfs/dev"

  record="{\"event\":\"started\",\"initPid\":$init_pid,\"startTime\":$start_time,\"rootfs\":$(json_string "$rootfs"),\"name\":\"$NAME\",\"hostname\":\"$host_name\",\"helperPid\":$HELPER_PID}"
  # The record lets the Containers view (and `ps`) name containers started here; `start` removes it.
  if mkdir -p "$REGISTRY"; then
    printf '%s\n' "$record" > "$REGISTRY/$init_pid-$start_time.json" \
      || printf 'container-helper: warning: cannot write %s; the container runs unnamed\n' "$REGISTRY" >&2
  fi
  if [ "${STATUS_FD_OPEN:-0}" = 1 ]; then
    printf '%s\n' "$record" >&3
    exec 3>&-
  fi

  cd /
  exec env -i PATH="$SAFE_PATH" HOME=/root TERM="${TERM:-xterm-256color}" HOSTNAME="$host_name" \
    chroot -- "$rootfs" "$@"
}

# A tmpfs /dev with the usual character devices, a private devpts and the /proc/self/fd links.
setup_dev() {
  dev=$1
  mount -t tmpfs -o nosuid,noexec,mode=755,size=64k tmpfs "$dev" || die "cannot mount a tmpfs on $dev"
  for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    node=${spec%%:*} nums=${spec#*:}
    mknod -m 666 "$dev/$node" c "${nums%:*}" "${nums#*:}" || die "cannot create $dev/$node"
  done
  { mkdir -m 755 "$dev/pts" && mkdir -m 1777 "$dev/shm"; } || die "cannot create $dev/pts and $dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,nosuid,noexec devpts "$dev/pts" \
    || die "cannot mount a private devpts on $dev/pts"
  ln -s pts/ptmx "$dev/ptmx"
  ln -s /proc/self/fd "$dev/fd"
  ln -s /proc/self/fd/0 "$dev/stdin"
  ln -s /proc/self/fd/1 "$dev/stdout"
  ln -s /proc/self/fd/2 "$dev/stderr"
}

# Records of containers whose init is gone (a helper that was SIGKILLed could not remove its own).
prune_records() {
  for record in "$REGISTRY"/*.json; do
    [ -f "$record" ] || continue
    id=${record##*/}
    id=${id%.json}
    case "$id" in
      *[!0-9-]*|-*|*-|*-*-*) rm -f -- "$record"; continue ;;
    esac
    pid=${id%-*} start=${id#*-}
    if [ -r "/proc/$pid/stat" ] && read -r stat < "/proc/$pid/stat" 2>/dev/null; then
      set -f
      # shellcheck disable=SC2086 # numeric fields, split on purpose
      set -- ${stat##*) }
      set +f
      # A zombie init is a container that has ended.
      [ "${20:-}" = "$start" ] && [ "$1" != Z ] && continue
    fi
    rm -f -- "$record"
  done
}

# --- stage 1: `start` ---------------------------------------------------------------------------------------------

start() {
  rootfs='' name='' host_name='' status_file=''
  seen=' '
  while [ $# -gt 0 ]; do
    case "$1" in
      --rootfs|--name|--hostname|--status-file)
        case "$seen" in *" $1 "*) die "$1 given twice" ;; esac
        seen="$seen$1 "
        [ $# -ge 2 ] || die "$1 needs a value"
        case "$1" in
          --rootfs) rootfs=$2 ;;
          --name) name=$2 ;;
          --hostname) host_name=$2 ;;
          --status-file) status_file=$2 ;;
        esac
        shift 2
        ;;
      --) shift; break ;;
      -*) die "unknown flag: $1 (see the usage in the helper's header)" ;;
      *) break ;;
    esac
  done
  case "$seen" in *" --rootfs "*) ;; *) die "--rootfs DIR is required" ;; esac

  [ "$(id -u)" = 0 ] || die "must run as root (directly, with sudo or with pkexec)"
  rootfs=$(resolve_rootfs "$rootfs") || exit "$EXIT_HELPER"

  if [ -z "$name" ]; then
    base=$(basename -- "$rootfs" | tr -c 'A-Za-z0-9_.\n-' '-' | cut -c1-50)
    case "$base" in [A-Za-z0-9]*) ;; *) base="c$base" ;; esac
    name="$base-$$"
  fi
  valid_name "$name" || die "--name must match [A-Za-z0-9][A-Za-z0-9_.-]{0,62}: $name"
  [ -n "$host_name" ] || host_name=$name
  valid_name "$host_name" || die "--hostname must match [A-Za-z0-9][A-Za-z0-9_.-]{0,62}: $host_name"

  [ $# -gt 0 ] || set -- /bin/sh
  [ -n "$1" ] || die "COMMAND is empty"
  has_control_chars "$1" && die "COMMAND contains control characters"
  check_command "$rootfs" "$1"

  if [ -n "$status_file" ]; then
    case "$status_file" in /*) ;; *) die "--status-file must be an absolute path: $status_file" ;; esac
    has_control_chars "$status_file" && die "--status-file contains control characters"
    [ -d "$(dirname -- "$status_file")" ] || die "--status-file's folder does not exist: $(dirname -- "$status_file")"
    { [ ! -e "$status_file" ] && [ ! -L "$status_file" ]; } || die "--status-file already exists: $status_file"
    # noclobber creates with O_EXCL, which never follows a link planted at the last moment.
    ( set -C; : > "$status_file" ) 2>/dev/null || die "cannot create --status-file: $status_file"
    exec 3>> "$status_file"
    STATUS_FD_OPEN=1
  fi
  export NAME="$name" STATUS_FD_OPEN="${STATUS_FD_OPEN:-0}" HELPER_PID="$$"

  prune_records
  self=$(cd -P -- "$(dirname -- "$0")" && pwd -P)/$(basename -- "$0")
  child=''
  trap 'end_container' HUP INT TERM
  # Background jobs get /dev/null as stdin unless told otherwise: keep the terminal on fd 0.
  # --pdeathsig: if this helper is SIGKILLed, the supervisor dies too, and PID 1 with it.
  exec 4<&0
  setpriv --pdeathsig KILL -- unshare --pid --mount --uts --ipc --propagation private \
    -- /bin/sh "$self" __supervise "$rootfs" "$host_name" -- "$@" <&4 4<&- &
  child=$!
  exec 4<&-
  code=0
  while :; do
    wait "$child" && code=0 || code=$?
    # wait returns >128 when a trapped signal interrupted it; loop until the supervisor itself is gone.
    kill -0 "$child" 2>/dev/null || break
  done
  # The record names this helper's PID; a fixed-string match, in a folder only root writes.
  grep -lF "\"helperPid\":$$}" "$REGISTRY"/*.json 2>/dev/null | while IFS= read -r record; do
    rm -f -- "$record"
  done
  if [ "${STATUS_FD_OPEN:-0}" = 1 ]; then
    printf '{"event":"exited","code":%s}\n' "$code" >&3
  fi
  exit "$code"
}

end_container() {
  if [ -n "$child" ]; then
    kill -KILL "$child" 2>/dev/null || true
  else
    exit 143
  fi
}

case "${1:-}" in
  start) shift; start "$@" ;;
  __supervise) shift; supervise "$@" ;;
  __init) shift; init_stage "$@" ;;
  -h|--help|help) usage; exit 0 ;;
  '') usage; die "no subcommand given" ;;
  *) usage; die "unknown subcommand: $1" ;;
esac
