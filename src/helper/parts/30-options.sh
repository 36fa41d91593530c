
# --- the options of `start`: one row each ------------------------------------------------------------------------
# A new flag is a row here, a validator below (which sets the variable build_bwrap_args reads), its bwrap words
# there, and, only where root does something new for it, one privileged operation in 20-privileged.sh.
#   FLAG          VALUE  DELEGATED  VALIDATOR           BECOMES (bwrap words)                          WHY / refusal
# The last column says why the flag exists, and for a flag refused when delegated, why it is refused. A unit test
# (test/unit/helperOptions.test.ts) checks that every flag the extension passes is a row, and every row documented.
# shellcheck disable=SC2016 # text, not expansions
readonly START_OPTIONS='--rootfs      DIR    yes  rootfs_option       --bind DIR /                                   the root filesystem; delegated, only $STORE/NAME
--name        NAME   yes  name_option         (none: the record and the status file name)    names the container in the view
--hostname    NAME   yes  hostname_option     --hostname NAME --setenv HOSTNAME NAME         the UTS namespace host name, NAME by default
--status-file FILE   no   status_file_option  (none: status lines, --json-status-fd 3)       delegated, the status file is /run/mini-containers/UID/NAME.status, as root writes only in its own folders
--privileged  -      no   privileged_option   --cap-add ALL, no --seccomp, no /proc masks    only root itself may keep every capability
--init        -      yes  init_option         --ro-bind /bin/busybox /dev/busybox-init       a PID 1 that reaps orphans and forwards HUP, INT, TERM'

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

# Reads the options in "$@" by the table, calling each row's validator; sets consumed to the number of words
# read (COMMAND and its arguments follow). Every option is given at most once. Each validator refuses control
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
    case "$seen" in *" $1 "*) die "$1 given twice" ;; esac
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
