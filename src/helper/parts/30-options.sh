
# --- the options of `start`: one row each ------------------------------------------------------------------------
# A new flag is a row here, a validator below (which sets the variable build_bwrap_args reads), its bwrap words
# there, and, only where root does something new for it, one privileged operation in 20-privileged.sh.
#   FLAG          VALUE  DELEGATED  REPEAT  VALIDATOR           BECOMES (bwrap words)                          WHY / refusal
# REPEAT: "yes" for a flag that may be given several times (each call of its validator adds one), "no" for one
# refused when given twice. The last column says why the flag exists, and for a flag refused when delegated, why
# it is refused. A unit test
# (test/unit/helperOptions.test.ts) checks that every flag the extension passes is a row, and every row documented.
# shellcheck disable=SC2016 # text, not expansions
readonly START_OPTIONS='--rootfs      DIR    yes  no  rootfs_option       --bind DIR /                                   the root filesystem; delegated, only $STORE/NAME
--name        NAME   yes  no  name_option         (none: the record and the status file name)    names the container in the view
--hostname    NAME   yes  no  hostname_option     --hostname NAME --setenv HOSTNAME NAME         the UTS namespace host name, NAME by default
--status-file FILE   no   no  status_file_option  (none: status lines, --json-status-fd 3)       delegated, the status file is /run/mini-containers/UID/NAME.status, as root writes only in its own folders
--privileged  -      no   no  privileged_option   --cap-add ALL, no --seccomp, no /proc masks    only root itself may keep every capability
--init        -      yes  no  init_option         --ro-bind /bin/busybox /dev/busybox-init       a PID 1 that reaps orphans and forwards HUP, INT, TERM
--bind        SPEC   yes  yes bind_option         --bind-fd N DEST | --ro-bind-fd N DEST         SPEC is SRC[:DEST][:ro]: a host folder or file at DEST (default SRC); bound by a descriptor opened once (open_binds), delegated only what the caller reaches, read-only, under a fresh tmpfs
--workdir     DIR    yes  no  workdir_option      --chdir DIR                                    the working directory of COMMAND inside, / by default
--env         KV     yes  yes env_option          --setenv KEY VALUE                             KEY=VALUE in the environment of COMMAND, after (so over) PATH, HOME, TERM, HOSTNAME: the Env of an image; KEY [A-Za-z_][A-Za-z0-9_]*, once each, VALUE without control characters, at most 128, each at most 4096 bytes; delegated too, as it changes only what runs inside
--network     MODE   yes  no  network_option      host: CAP_NET_RAW dropped; else --unshare-net  host (the default), none (only lo) or private (lo and tap0 through a user-mode stack: pasta rootless, slirp4netns as root); delegated, host is refused (root inside would be uid 0 toward the host network) and none is the default
--publish     MAP    yes  yes publish_option      (none: the user-mode stack forwards the port)  HOSTPORT:PORT, a server on PORT inside reached at 127.0.0.1:HOSTPORT on the host; private only, at most 32; delegated, HOSTPORT 1024 or above
--ephemeral   -      yes  no  ephemeral_option    --bind DIR/merged / after unshare mounts an overlay there (OVERLAY_SCRIPT)  a throw-away root: DIR is the read-only lower layer of a kernel overlay whose upper layer is a tmpfs of a mount namespace only bwrap holds, so every change vanishes with the container and DIR is never written
--memory      SIZE   yes  no  memory_option       (none: memory.max or memory.limit_in_bytes of G)  the most memory (and swap) the container may use, N[k|m|g] in bytes, binary units, at least 4m; past it the kernel kills in it (the exit says so); refused where it has no cgroup
--pids        N      yes  no  pids_option         (none: pids.max of G)                           the most processes (the bwrap monitor counted), 1..4194304, or max; 4096 by default wherever there is a group, so a fork bomb stays inside; refused where it has no cgroup
--cpus        X      yes  no  cpus_option         (none: cpu.max or cpu.cfs_quota_us of G)        the CPU time of X cores at most, 0.01..1024 (two decimals), in each 100 ms; refused where it has no cgroup'

rootfs_option() {
  [ "$delegated" = 0 ] || require_store_text "$1"
  rootfs=$1
}
name_option() {
  valid_name "$1" || die "--name must match [A-Za-z0-9][A-Za-z0-9_.-]{0,62}: $1"
  name=$1
}
hostname_option() {
  valid_name "$1" || die "--hostname must match [A-Za-z0-9][A-Za-z0-9_.-]{0,62}: $1"
  host_name=$1
}
status_file_option() { status_file=$1; }
privileged_option() {
  [ "$mode" = privileged ] || die "--privileged needs root: a rootless container cannot have the host's capabilities"
  privileged=1
}
init_option() { with_init=1; }
ephemeral_option() { ephemeral=1; }
network_option() {
  case "$1" in
    host|none|private) ;;
    *) die "--network must be host, none or private: $1" ;;
  esac
  if [ "$delegated" = 1 ] && [ "$1" = host ]; then
    die "--network host is refused under sudo or pkexec: root inside would be uid 0 in the host's network (raw sockets, ports below 1024); use none (the default) or private"
  fi
  network=$1
}
# HOSTPORT:PORT, each 1..65535 without leading zeros; a host port once; at most 32; delegated, no host port below
# 1024 (the user-mode stack binds it as root on the host's loopback).
publish_option() {
  host_port=${1%%:*} guest_port=${1#*:}
  case "$1" in *:*) ;; *) host_port='' ;; esac
  { valid_port "$host_port" && valid_port "$guest_port"; } || die "--publish must be HOSTPORT:PORT, each 1..65535: $1"
  [ "$delegated" = 0 ] || [ "$host_port" -ge 1024 ] ||
    die "--publish $1: under sudo or pkexec the host port must be 1024 or above (below, it is a port only root may take)"
  case " $publish " in *" $host_port:"*) die "--publish: host port $host_port is given twice" ;; esac
  publish_count=$((publish_count + 1))
  [ "$publish_count" -le 32 ] || die "--publish is given more than 32 times"
  publish="${publish:+$publish }$host_port:$guest_port"
}
valid_port() {
  case "$1" in ''|0*|*[!0-9]*) return 1 ;; esac
  [ "${#1}" -le 5 ] && [ "$1" -le 65535 ]
}

# Top-level folders of the host's system, refused as a DEST's first folder when delegated: their place in the
# rootfs gets a fresh tmpfs (open_binds), which would hide the container's own programs and libraries.
readonly SYSTEM_TOPS=' bin sbin lib lib32 lib64 libx32 usr etc dev proc sys run var root boot '
# Sets bind_dest_error when $1 is no DEST (or --workdir) a container may have: absolute, no ".", ".." or empty
# component, no control characters, not /.
check_inside_path() {
  bind_dest_error=''
  case "$1" in
    /) bind_dest_error='is /, the container'"'"'s own root' ;;
    /*) ;;
    *) bind_dest_error='must be an absolute path' ;;
  esac
  case "$1/" in
    *//*|*/./*|*/../*) bind_dest_error=${bind_dest_error:-'has an empty, "." or ".." component'} ;;
  esac
  if has_control_chars "$1"; then bind_dest_error=${bind_dest_error:-'contains control characters'}; fi
  [ -z "$bind_dest_error" ]
}
# --bind SRC[:DEST][:ro], repeatable: each adds one line "rw|ro<TAB>SRC<TAB>DEST" to binds (a tab cannot be in
# either: control characters are refused). A path holding ":" cannot be bound.
bind_option() {
  spec=$1 access=rw
  case "$spec" in *:ro) access=ro spec=${spec%:ro} ;; esac
  src=${spec%%:*}
  dest=$src
  case "$spec" in *:*) dest=${spec#*:} ;; esac
  case "$dest" in *:*) die "--bind takes SRC[:DEST][:ro], and neither path may contain ':': $1" ;; esac
  case "$src" in
    /*) ;;
    '') die "--bind has no SRC: give SRC[:DEST][:ro], SRC an absolute host path" ;;
    *) die "--bind SRC must be an absolute host path, got a relative one: $src" ;;
  esac
  has_control_chars "$src" && die "--bind SRC contains control characters; rename it"
  check_inside_path "$dest" || die "--bind DEST $bind_dest_error: $dest"
  case "$dest/" in /proc/*|/dev/*) die "--bind DEST may not be under /proc or /dev (the container's own): $dest" ;; esac
  if [ "$delegated" = 1 ]; then
    dest_top=${dest#/}
    dest_top=${dest_top%%/*}
    case "$SYSTEM_TOPS" in *" $dest_top "*) die "--bind DEST under /$dest_top is refused under sudo or pkexec: its first folder gets a fresh tmpfs, which would hide the container's /$dest_top; choose another DEST (e.g. /mnt/...)" ;; esac
    [ "$access" = ro ] || die "--bind $src must be read-only (:ro) under sudo or pkexec: what the container's root (host uid 0) writes there stays root's on the host, setuid bits included; bind it writable in a rootless shell"
  fi
  bind_count=$((bind_count + 1))
  [ "$bind_count" -le 64 ] || die "--bind is given more than 64 times"
  binds="$binds$access	$src	$dest
"
}
# --env KEY=VALUE, repeatable: each adds one line "KEY=VALUE" to envs (a newline cannot be in it: control
# characters are refused); build_bwrap_args makes each line two words of --setenv, split at the first "=".
env_option() {
  key=${1%%=*}
  case "$1" in *=*) ;; *) die "--env must be KEY=VALUE: $1" ;; esac
  case "$key" in ''|[!A-Za-z_]*|*[!A-Za-z0-9_]*) die "--env KEY must match [A-Za-z_][A-Za-z0-9_]*: $key" ;; esac
  has_control_chars "$1" && die "--env $key: the value contains control characters"
  [ "${#1}" -le 4096 ] || die "--env $key is longer than 4096 bytes"
  case "$envs" in "$key="*|*"
$key="*) die "--env $key is given twice" ;; esac
  env_count=$((env_count + 1))
  [ "$env_count" -le 128 ] || die "--env is given more than 128 times"
  envs="$envs$1
"
}
# SIZE: digits and an optional unit (b, k, m, g; binary), at least 4 MiB, at most 15 digits before the unit.
memory_option() {
  digits=${1%[bBkKmMgG]} unit=${1#"$digits"}
  case "$digits" in ''|0*|*[!0-9]*) die "--memory must be a size such as 512m or 2g: $1" ;; esac
  [ "${#digits}" -le 15 ] || die "--memory is too large: $1"
  case "$unit" in
    ''|b|B) memory_limit=$digits ;;
    k|K) memory_limit=$((digits * 1024)) ;;
    m|M) memory_limit=$((digits * 1048576)) ;;
    *) [ "${#digits}" -le 9 ] || die "--memory is too large: $1"; memory_limit=$((digits * 1073741824)) ;;
  esac
  [ "$memory_limit" -ge 4194304 ] || die "--memory must be at least 4m (4 MiB): $1"
}
pids_option() {
  [ "$1" = max ] || valid_pid "$1" || die "--pids must be a number of processes, 1..4194304, or max: $1"
  pids_limit=$1
}
# X: 0.01..1024 with at most two decimals; the quota is X times the 100 ms period, in microseconds.
cpus_option() {
  whole=${1%%.*} fraction=''
  case "$1" in *.*) fraction=${1#*.} ;; esac
  case "$whole" in ''|*[!0-9]*|0?*) whole=x ;; esac
  case "$fraction" in *[!0-9]*|???*) whole=x ;; esac
  case "$1" in *.) whole=x ;; esac
  { [ "$whole" != x ] && [ "${#whole}" -le 4 ]; } || die "--cpus must be a number of cores such as 0.5 or 2 (two decimals at most): $1"
  case "$fraction" in ?) fraction=${fraction}0 ;; '') fraction=00 ;; esac
  cpu_quota=$(( whole * 100000 + ${fraction#0} * 1000 ))
  { [ "$cpu_quota" -ge 1000 ] && [ "$cpu_quota" -le 102400000 ]; } || die "--cpus must be 0.01 to 1024: $1"
}
workdir_option() {
  [ "$1" = / ] || check_inside_path "$1" || die "--workdir $bind_dest_error: $1"
  workdir=$1
}

# Reads the options in "$@" by the table, calling each row's validator; sets consumed to the number of words
# read (COMMAND and its arguments follow). An option whose REPEAT is no is given at most once. Each validator refuses control
# characters in its value, saying first what else is wrong with it (a relative path, a name's alphabet).
parse_options() {
  consumed=0 seen=' '
  while [ $# -gt 0 ]; do
    case "$1" in
      --) consumed=$((consumed + 1)); return 0 ;;
      -*) ;;
      *) return 0 ;;
    esac
    row=''
    while read -r flag value allowed repeat validator why; do
      if [ "$flag" = "$1" ]; then row=$flag; break; fi
    done <<EOF
$START_OPTIONS
EOF
    [ -n "$row" ] || die "unknown flag: $1 (see the usage in the helper's header)"
    if [ "$repeat" != yes ]; then
      case "$seen" in *" $1 "*) die "$1 given twice" ;; esac
    fi
    seen="$seen$1 "
    if [ "$delegated" = 1 ] && [ "$allowed" != yes ]; then
      die "$1 is refused under sudo or pkexec: $why"
    fi
    if [ "$value" = - ]; then
      "$validator"
      shift
      consumed=$((consumed + 1))
    else
      [ $# -ge 2 ] || die "$1 needs a value"
      [ "$1" = --rootfs ] || [ -n "$2" ] || die "$1 is empty"
      "$validator" "$2"
      shift 2
      consumed=$((consumed + 2))
    fi
  done
}
