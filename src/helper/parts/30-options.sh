
# --- the options of `start`: one row each ------------------------------------------------------------------------
# A new flag is a row here, a validator below (which sets the variable build_bwrap_args reads), its bwrap words
# there, and, only where root does something new for it, one privileged operation in 20-privileged.sh.
#   FLAG          VALUE  DELEGATED  VALIDATOR           BECOMES (bwrap words)                          WHY / refusal
# The last column says why the flag exists, and for a flag refused when delegated, why it is refused. A VALUE ending
# in "..." may be given more than once (each time adds one); any other flag at most once. A unit test
# (test/unit/helperOptions.test.ts) checks that every flag the extension passes is a row, and every row documented.
# shellcheck disable=SC2016 # text, not expansions
readonly START_OPTIONS='--rootfs      DIR    yes  rootfs_option       --bind DIR /                                   the root filesystem; delegated, only $STORE/NAME
--name        NAME   yes  name_option         (none: the record and the status file name)    names the container in the view
--hostname    NAME   yes  hostname_option     --hostname NAME --setenv HOSTNAME NAME         the UTS namespace host name, NAME by default
--status-file FILE   no   status_file_option  (none: status lines, --json-status-fd 3)       delegated, the status file is /run/mini-containers/UID/NAME.status, as root writes only in its own folders
--privileged  -      no   privileged_option   --cap-add ALL, no --seccomp, no /proc masks    only root itself may keep every capability
--init        -      yes  init_option         --ro-bind /bin/busybox /dev/busybox-init       a PID 1 that reaps orphans and forwards HUP, INT, TERM
--network     MODE   yes  network_option      host: CAP_NET_RAW dropped; else --unshare-net  host (the default), none (only lo) or private (lo and tap0 through a user-mode stack: pasta rootless, slirp4netns as root); delegated, host is refused (root inside would be uid 0 toward the host network) and none is the default
--publish     MAP... yes  publish_option      (none: the user-mode stack forwards the port)  HOSTPORT:PORT, a server on PORT inside reached at 127.0.0.1:HOSTPORT on the host; private only, at most 32; delegated, HOSTPORT 1024 or above'

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

# Reads the options in "$@" by the table, calling each row's validator; sets consumed to the number of words
# read (COMMAND and its arguments follow). Every option is given at most once, but those whose VALUE ends in "...". Each validator refuses control
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
    while read -r flag value allowed validator why; do
      if [ "$flag" = "$1" ]; then row=$flag; break; fi
    done <<EOF
$START_OPTIONS
EOF
    [ -n "$row" ] || die "unknown flag: $1 (see the usage in the helper's header)"
    case "$value" in
      *...) ;;
      *) case "$seen" in *" $1 "*) die "$1 given twice" ;; esac ;;
    esac
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
