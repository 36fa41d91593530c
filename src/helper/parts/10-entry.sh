
# --- entry: the environment cleared, the caller found, shared readers and validators ---------------------------

set -eu
umask 022
# Descriptors the caller left open must not reach the container, nor this script's redirections.
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-

readonly EXIT_HELPER=125
readonly EXIT_NOEXEC=126
readonly EXIT_NOTFOUND=127
readonly RUN=/run/mini-containers
readonly STORE=/var/lib/mini-containers/rootfs
readonly SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The caller's environment chooses nothing this script runs: not the programs (PATH), not a file bash reads at
# start (BASH_ENV, ENV), not where a relative cd goes (CDPATH), not how words split (IFS).
PATH=$SAFE_PATH
export PATH
unset BASH_ENV ENV CDPATH
IFS=' 	
'

die() {
  message=$1
  # A refused value is shown, but never its control characters: they could drive the user's terminal.
  case "$message" in *[[:cntrl:]]*) message=$(printf '%s' "$message" | tr '[:cntrl:]' '?') ;; esac
  printf 'container-helper: %s\n' "$message" >&2
  exit "${2:-$EXIT_HELPER}"
}

has_control_chars() {
  case "$1" in *[[:cntrl:]]*) return 0 ;; esac
  return 1
}

# For the parsers of `exec` and `kill`: flag $1, with $2 words left, may be given once and needs a value.
flag_once() {
  case "$seen" in *" $1 "*) die "$1 given twice" ;; esac
  seen="$seen$1 "
  [ "$2" -ge 2 ] || die "$1 needs a value"
}

valid_name() {
  [ "${#1}" -ge 1 ] && [ "${#1}" -le 63 ] || return 1
  case "$1" in
    [!A-Za-z0-9]*|*[!A-Za-z0-9_.-]*) return 1 ;;
  esac
}

# 1..4194304 (PID_MAX_LIMIT, the most pid_max can be); a PID above this host's pid_max names no process.
valid_pid() {
  case "$1" in ''|0*|*[!0-9]*) return 1 ;; esac
  [ "${#1}" -le 7 ] && [ "$1" -le 4194304 ]
}

# A start time as field 22 of /proc/PID/stat gives it: 0 only for processes of the boot's first tick, never a container's.
valid_start_time() {
  case "$1" in ''|0|*[!0-9]*|0?*) return 1 ;; esac
  [ "${#1}" -le 20 ]
}

# Sets json to $1 as a JSON string (control characters were refused before).
json_string() {
  case "$1" in
    *[\"\\]*) json=\"$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')\" ;;
    *) json=\"$1\" ;;
  esac
}

# Sets stat (the whole line), stat_comm, stat_state, stat_ppid and stat_start (fields 2, 3, 4 and 22) from
# /proc/$1/stat ($1: a PID, "self", or "self/fd/N" for a process held by descriptor N); fails when the process is
# gone. The command name may hold spaces and parentheses: cut at the last ")".
read_stat() {
  read -r stat 2>/dev/null < "/proc/$1/stat" || return 1
  stat_comm=${stat#*\(}
  stat_comm=${stat_comm%)*}
  set -f
  # shellcheck disable=SC2086 # numeric fields and one state letter, split on purpose
  set -- ${stat##*) }
  set +f
  stat_state=$1 stat_ppid=$2 stat_start=${20}
}

# Sets real_uid and effective_uid of process $1 (a PID or "self"), from /proc with builtins only.
read_uids() {
  real_uid='' effective_uid=''
  while read -r key real effective _; do
    case "$key" in Uid:) real_uid=$real effective_uid=$effective; return 0 ;; esac
  done < "/proc/$1/status"
  return 1
}

# Prints the NSpid chain of process $1 (as read_stat's $1), outermost first.
ns_pids() {
  while IFS= read -r line; do
    case "$line" in
      NSpid:*)
        set -f
        # shellcheck disable=SC2086 # numbers, re-joined with single spaces
        set -- ${line#NSpid:}
        set +f
        printf '%s\n' "$*"
        return 0
        ;;
    esac
  done < "/proc/$1/status"
  return 1
}

# Sets number to the number of signal $1 (a name signal_name printed): its place in Linux's list.
signal_number() {
  number=0
  for known in HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN \
    TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS; do
    number=$((number + 1))
    [ "$known" != "$1" ] || return 0
  done
  return 1
}

signal_name() {
  sig=${1#SIG}
  case "$sig" in
    [1-9]|[12][0-9]|3[01]) sig=$(kill -l "$sig") || return 1 ;;
  esac
  known=' HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG'
  known="$known XCPU XFSZ VTALRM PROF WINCH IO PWR SYS "
  case "$known" in
    *" $sig "*) printf '%s\n' "$sig" ;;
    *) return 1 ;;
  esac
}

# Sets mode (rootless | privileged), caller (the uid the helper works for) and delegated (1 when root works for
# a caller who is not root, through sudo or pkexec; else 0). Under root, SUDO_UID counts only when the parent is
# sudo, PKEXEC_UID only when the parent runs as that very uid (pkexec execs us in its place); anything else is
# root's own call, whatever the environment says. Delegated, the caller's resource limits are replaced at once.
find_caller() {
  read_uids self || die "cannot read /proc/self/status"
  delegated=0
  if [ "$effective_uid" != 0 ]; then
    mode=rootless caller=$effective_uid
    return 0
  fi
  mode=privileged caller=0
  parent_comm=''
  read -r parent_comm 2>/dev/null < "/proc/$PPID/comm" || true
  read_uids "$PPID" || die "cannot read the parent process's credentials"
  if [ "$parent_comm" = sudo ] && [ "$effective_uid" = 0 ] && [ -n "${SUDO_UID:-}" ]; then
    caller=$SUDO_UID
  elif [ -n "${PKEXEC_UID:-}" ] && [ "$real_uid" = "${PKEXEC_UID:-}" ]; then
    caller=$PKEXEC_UID
  fi
  case "$caller" in ''|*[!0-9]*|0?*) die "SUDO_UID or PKEXEC_UID is not a uid: $caller" ;; esac
  if [ "$caller" != 0 ]; then
    delegated=1
    reset_limits
  fi
}
