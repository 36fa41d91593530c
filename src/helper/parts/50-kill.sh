
# --- `kill`, and the control channel's requests ------------------------------------------------------------------

valid_id() {
  case "$1" in ''|0*|*[!0-9]*|??????????*) return 1 ;; esac
}

kill_command() {
  container='' container_start='' target='' target_start='' sig='' pinned=0
  seen=' '
  while [ $# -gt 0 ]; do
    case "$1" in
      --container|--container-start-time|--pid|--start-time|--signal)
        flag_once "$1" $#
        case "$1" in
          --container) container=$2 ;;
          --container-start-time) container_start=$2 ;;
          --pid) target=$2 ;;
          --start-time) target_start=$2 ;;
          --signal) sig=$2 ;;
        esac
        shift 2
        ;;
      *) die "unknown argument to kill: $1" ;;
    esac
  done
  for flag in --container --container-start-time --pid --start-time --signal; do
    case "$seen" in *" $flag "*) ;; *) die "kill needs $flag" ;; esac
  done
  valid_pid "$container" || die "--container must be a PID (1..pid_max): $container"
  valid_pid "$target" || die "--pid must be a PID (1..pid_max): $target"
  valid_start_time "$container_start" || die "--container-start-time must be a whole number: $container_start"
  valid_start_time "$target_start" || die "--start-time must be a whole number: $target_start"
  sig=$(signal_name "$sig") || die "--signal must be a signal name such as TERM or KILL, or a number 1..31: $sig"
  find_caller
  make_folders
  # Root itself may signal any container (the checks below still keep it inside); a delegated caller, only the
  # containers this helper started for them.
  [ "$delegated" = 0 ] || require_record "$container" "$container_start"
  send_signal "$container" "$container_start" "$target" "$target_start" "$sig"
}

# Dies unless container $1-$2 has a record of this helper in this mode's registry, made for this caller. $3: what
# is refused ("signal it" by default).
require_record() {
  record=$registry/$1-$2.json
  { [ -f "$record" ] && [ ! -L "$record" ]; } || die "container $1 was not started by this helper: refusing to ${3:-signal it}"
  IFS= read -r line < "$record" || die "cannot read the record of container $1"
  case "$line" in
    *",\"uid\":$caller}") ;;
    *) die "container $1 was started for another user: refusing to ${3:-signal it}" ;;
  esac
}

# send_signal PID1 T1 PID T SIG, all validated. PID 1 is held by fd 7 before it is checked (already, when the
# control channel of its own helper asks: pinned=1).
send_signal() {
  if [ "$pinned" != 1 ]; then
    pin_process "$1" || die "container $1 is not running"
  fi
  read_stat self/fd/7 || die "container $1 is not running"
  [ "$stat_start" = "$2" ] || die "container $1 has ended (that PID now names another process)"
  [ "$stat_state" != Z ] || die "container $1 has ended"
  init_chain=$(ns_pids self/fd/7) || die "cannot read the PID namespaces of $1"
  level=0 last=''
  for n in $init_chain; do level=$((level + 1)) last=$n; done
  { [ "$level" -ge 2 ] && [ "$last" = 1 ]; } || die "$1 is not the PID 1 of a container: refusing to signal anything"

  if [ "$3" = "$1" ]; then
    [ "$4" = "$2" ] || die "--start-time does not match the container's PID 1"
    # From inside its namespace PID 1 ignores signals it has no handler for, even KILL: sent from here, through
    # the descriptor that was checked.
    signal_pinned "$5" || die "could not signal PID 1 of container $1"
    return 0
  fi

  read_stat "$3" || die "process $3 is not running"
  [ "$stat_start" = "$4" ] || die "process $3 has ended (that PID now names another process)"
  [ "$stat_state" != Z ] || die "process $3 has already exited"
  target_chain=$(ns_pids "$3") || die "cannot read the PID namespaces of $3"
  skip=$((level - 1)) inner=''
  for n in $target_chain; do
    if [ "$skip" -gt 0 ]; then skip=$((skip - 1)); else inner="${inner:+$inner }$n"; fi
  done
  [ -n "$inner" ] || die "process $3 is not in container $1"
  # Rootless: the container's PID namespace belongs to its user namespace, which the caller owns and may join.
  userns=''
  [ "$mode" = privileged ] || userns=--user
  code=0
  signal_inside "$1" "$2" "$3" "$4" "$5" "$userns" "$inner" || code=$?
  [ "$code" != 0 ] || return 0
  # SIGKILLed with the namespace: the signal ended PID 1 (or its last child), so the namespace went, and this
  # checker inside it too. It was sent if the target is gone. Any other failure has said why (one line).
  if [ "$code" = 137 ]; then
    if ! { read_stat "$3" && [ "$stat_start" = "$4" ] && [ "$stat_state" != Z ]; }; then return 0; fi
    die "could not signal process $3 in container $1"
  fi
  exit "$EXIT_HELPER"
}

answer_request() {
  set -f
  # shellcheck disable=SC2086 # a request is words separated by spaces, split on purpose
  set -- $1
  set +f
  id=0
  if valid_id "${2:-}"; then id=$2; fi
  if error=$( (check_request "$@") 2>&1 >/dev/null); then
    respond "$id" true
  else
    respond "$id" false "${error#container-helper: }"
  fi
}

check_request() {
  { [ $# = 7 ] && [ "$1" = kill ]; } || die "a request is: kill ID PID1 T1 PID T SIGNAL"
  valid_id "$2" || die "ID must be 1 to 9 digits: $2"
  valid_pid "$3" || die "PID1 must be a PID: $3"
  valid_start_time "$4" || die "T1 must be a whole number: $4"
  valid_pid "$5" || die "PID must be a PID: $5"
  valid_start_time "$6" || die "T must be a whole number: $6"
  sig=$(signal_name "$7") || die "not a signal: $7"
  { [ "$3" = "$init_pid" ] && [ "$4" = "$start_time" ]; } || die "$3 is not the PID 1 of this channel's container"
  send_signal "$3" "$4" "$5" "$6" "$sig"
}
