#!/bin/sh
# container-helper.sh — the privileged half of Mini Containers.
#
# It runs as root (directly, under sudo, or under pkexec) and treats every argument as untrusted: each one is
# validated before anything is created, nothing is ever passed to eval or built into a shell string, and every
# expansion is quoted.
#
# USAGE
#   container-helper.sh start --rootfs DIR [--name NAME] [--hostname NAME] [--status-file FILE]
#                             [--privileged] [--init] [--] [COMMAND [ARG]...]
#
#   Runs COMMAND (default /bin/sh) as PID 1 of new PID, mount, UTS and IPC namespaces, chrooted into DIR, with a
#   fresh proc mounted at DIR/proc and a minimal tmpfs /dev. Mount propagation is private, so no mount ever
#   appears in the host's mount table, and all vanish with the namespace. The hostname defaults to NAME, which
#   defaults to the rootfs folder's name plus a number.
#
#   Confinement (Docker's defaults are the reference): the capability bounding set is Docker's default set less
#   SYS_CHROOT and MKNOD, no_new_privs is set, the rootfs is bound onto itself nodev,nosuid, /proc/sys,
#   /proc/sysrq-trigger, /proc/bus, /proc/fs and /proc/irq are read-only and /proc/kcore, keys, timer_list,
#   sched_debug, latency_stats, acpi, scsi and asound are masked. --privileged keeps every capability and
#   leaves /proc as it is, like `docker run --privileged`. --init makes PID 1 a minimal init (the host's static
#   busybox, read-only) that reaps orphans and forwards HUP, INT and TERM to COMMAND, like `docker run --init`.
#
#   DIR       absolute, a directory after resolving links, not /, no control characters; must hold proc/ and dev/
#   NAME      [A-Za-z0-9][A-Za-z0-9_.-]{0,62}, same for --hostname
#   FILE      absolute path of a file that does not exist yet, in an existing folder that, under sudo or pkexec,
#             belongs to the calling user; it is created without following links and receives JSON lines:
#               {"event":"started","initPid":P,"startTime":T,"rootfs":"DIR","name":"NAME","hostname":"H"}
#               {"event":"exited","code":N}
#             where P is the host PID of the container's PID 1 and T field 22 of /proc/P/stat (P and T together
#             identify the container: the kernel reuses PIDs).
#   A record with the "started" line is also kept in /run/mini-containers/containers/P-T.json while it runs.
#
#   Control channel: the "started" line names "control", a FIFO in /run/mini-containers/control (a folder only
#   root can change) owned by the calling user (SUDO_UID or PKEXEC_UID, else root), mode 0600. It is made beside
#   the container's start, not before it, so it may appear a moment after the "started" line: a writer that finds
#   no FIFO yet (ENOENT) or no reader yet (ENXIO with O_NONBLOCK) tries again. While the container
#   runs, the helper reads lines `kill ID PID1 T1 PID T SIG` from it (ID: 1 to 9 digits) and answers each in the
#   status file with {"event":"signal","id":ID,"ok":true} or {"event":"signal","id":ID,"ok":false,"error":"…"}.
#   Only the helper's own container can be named; every check of `kill` below applies. So a user who started a
#   container with sudo can stop its processes without typing the password again, and nobody else can.
#
# EXIT STATUS (Docker's convention)
#   COMMAND's own status (128+N when it was killed by signal N)
#   125  helper error: bad argument, missing rootfs part, not root, namespace set-up failed
#   126  COMMAND found in the rootfs but not executable
#   127  COMMAND not found in the rootfs
#   Every helper error is one line on stderr starting "container-helper: " that says what to fix.
#
#   The process chain on the host: this helper (`start`) → its supervisor (new mount/UTS/IPC namespaces, host
#   PID namespace) → PID 1 of the container. HUP, INT or TERM to the helper end the container: it TERMs the
#   supervisor, which SIGKILLs and reaps PID 1, and the kernel kills every process of the namespace with it.
#   The same happens if the helper itself is SIGKILLed.
#
#   container-helper.sh kill --container PID1 --container-start-time T1 --pid PID --start-time T --signal SIG
#
#   Sends SIG to host PID PID only when all of this holds: PID1 is the PID 1 of a PID namespace other than the
#   host's and its start time is T1; PID's start time is T; PID lies in PID1's namespace or one nested in it.
#   The signal is sent from inside the container's PID namespace (so no host process can be reached by number),
#   after checking, in a proc mounted there for the purpose, that the number names the same process; only the
#   container's own PID 1 is signalled from the host, where its namespace cannot shield it.
#   PID, PID1: decimal, 1..pid_max; T, T1: decimal; SIG: a name (TERM, SIGTERM) or number 1..31.
#   Exit 0 when sent; 125 with one line saying why when refused or failed.
#
# WHAT IT DOES NOT DO (see README, Security): namespaces without a user namespace are not a sandbox for root
# inside the container; this helper isolates, it does not confine.

set -eu

readonly EXIT_HELPER=125
readonly EXIT_NOEXEC=126
readonly EXIT_NOTFOUND=127
readonly REGISTRY=/run/mini-containers/containers
readonly CONTROL_DIR=/run/mini-containers/control
readonly SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# With --init, the host's static busybox is mounted read-only at /dev/$INIT_NAME and runs INIT_SCRIPT as PID 1:
# it starts COMMAND, forwards HUP, INT and TERM to it, reaps every orphan and exits with COMMAND's status, like
# `docker run --init`. (BusyBox runs as the multi-call binary for any name starting with "busybox".)
readonly STATIC_INIT=/bin/busybox
readonly INIT_NAME=busybox-init
# shellcheck disable=SC2016 # expanded by the init shell, not here
readonly INIT_SCRIPT='exec 4<&0
"$@" <&4 4<&- &
child=$!
exec 4<&-
trap '"'"'kill -TERM "$child" 2>/dev/null'"'"' TERM
trap '"'"'kill -INT "$child" 2>/dev/null'"'"' INT
trap '"'"'kill -HUP "$child" 2>/dev/null'"'"' HUP
code=0
while :; do
  wait "$child" && code=0 || code=$?
  kill -0 "$child" 2>/dev/null || break
done
exit "$code"'

# Capabilities removed from the container's bounding set: all but Docker's default set, and also SYS_CHROOT (so
# root inside cannot chroot its way out: no pivot_root here) and MKNOD (there is no device cgroup to stop a
# block device made in /dev from opening the host's disks).
readonly DROP_CAPS=cap_dac_read_search,cap_linux_immutable,cap_net_broadcast,cap_net_admin,cap_ipc_lock,\
cap_ipc_owner,cap_sys_module,cap_sys_rawio,cap_sys_chroot,cap_sys_ptrace,cap_sys_pacct,cap_sys_admin,cap_sys_boot,\
cap_sys_nice,cap_sys_resource,cap_sys_time,cap_sys_tty_config,cap_mknod,cap_lease,cap_audit_control,\
cap_mac_override,cap_mac_admin,cap_syslog,cap_wake_alarm,cap_block_suspend,cap_audit_read,cap_perfmon,cap_bpf,\
cap_checkpoint_restore

die() {
  message=$1
  # A refused value is shown, but never its control characters: they could drive the user's terminal.
  case "$message" in *[[:cntrl:]]*) message=$(printf '%s' "$message" | tr '[:cntrl:]' '?') ;; esac
  printf 'container-helper: %s\n' "$message" >&2
  exit "${2:-$EXIT_HELPER}"
}

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

# Sets json to $1 as a JSON string. Control characters are refused before any value gets here, so only \ and "
# need escaping; a value without them (the usual case) costs no process.
json_string() {
  case "$1" in
    *[\"\\]*) json=\"$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')\" ;;
    *) json=\"$1\" ;;
  esac
}

# Sets stat_pid, stat_state, stat_ppid and stat_start to fields 1, 3, 4 and 22 of /proc/$1/stat ($1 a PID or
# "self"; under root $2 when given); fails when the process is gone. Builtins only, and the command name, which
# may hold spaces and parentheses, is skipped by cutting at the last ")".
read_stat() {
  read -r stat 2>/dev/null < "${2:-}/proc/$1/stat" || return 1
  stat_pid=${stat%% *}
  set -f
  # shellcheck disable=SC2086 # numeric fields and one state letter, split on purpose
  set -- ${stat##*) }
  set +f
  stat_state=$1 stat_ppid=$2 stat_start=${20}
}

# The parent-death signal is set after the fork (by setpriv): a parent that died before that would go unnoticed,
# and the stage would outlive it. So each stage checks, once the signal is armed, that its parent is still the
# process that started it, and ends otherwise.
still_child_of() {
  read_stat self || exit "$EXIT_HELPER"
  { [ -n "$1" ] && [ "$stat_ppid" = "$1" ]; } || die "internal stage not started by 'start', or its parent has ended"
}

# Sets fstab to path $1 as an fstab field: space, tab and backslash as octal escapes (control characters were
# refused).
fstab_path() {
  case "$1" in
    *[\ \	\\]*) fstab=$(printf '%s\n' "$1" | sed 's/\\/\\134/g; s/ /\\040/g; s/\t/\\011/g') ;;
    *) fstab=$1 ;;
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
  still_child_of "${HELPER_PID:-}"
  init=''
  # Reap PID 1 here rather than leave it to the host's init, which may take its time: the container is gone
  # when this process is.
  trap 'if [ -n "$init" ]; then kill -KILL "$init" 2>/dev/null; wait "$init"; fi; exit 137' HUP INT TERM
  exec 4<&0
  SUPERVISOR_PID=$$ setpriv --pdeathsig KILL -- /bin/sh "$0" __init "$@" <&4 4<&- &
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
  still_child_of "${SUPERVISOR_PID:-}"
  rootfs=$1 host_name=$2
  shift 3
  { valid_name "$host_name" && valid_name "${NAME:-}"; } || die "internal stage got an invalid name or hostname"

  # unshare --propagation private already made every mount private: nothing below leaks to the host's table.
  printf '%s' "$host_name" > /proc/sys/kernel/hostname || die "cannot set the hostname in the new UTS namespace"

  # Our host PID and start time: `read` is a shell builtin, so /proc/self here is this very process, which
  # becomes the container's PID 1 through the execs below. /proc is still the host's proc at this point.
  read_stat self || die "cannot read /proc/self/stat"
  init_pid=$stat_pid start_time=$stat_start

  confine_filesystem "$rootfs"

  json_string "$rootfs"
  record="{\"event\":\"started\",\"initPid\":$init_pid,\"startTime\":$start_time,\"rootfs\":$json,\"name\":\"$NAME\",\"hostname\":\"$host_name\",\"control\":\"$CONTROL_FIFO\",\"helperPid\":$HELPER_PID}"
  # The record lets the Containers view (and `ps`) name containers started here; `start` removes it.
  if [ -d "$REGISTRY" ] || mkdir -p "$REGISTRY"; then
    printf '%s\n' "$record" > "$REGISTRY/$init_pid-$start_time.json" \
      || printf 'container-helper: warning: cannot write %s; the container runs unnamed\n' "$REGISTRY" >&2
  fi
  if [ "${STATUS_FD_OPEN:-0}" = 1 ]; then
    printf '%s\n' "$record" >&3
    exec 3>&-
  fi

  # capsh works in order: chroot, then drop capabilities from the bounding set (so the container's root can
  # neither chroot again nor get them back), set no_new_privs, then exec COMMAND inside the new root.
  cd "$rootfs"
  if [ "$WITH_INIT" = 1 ]; then set -- "/dev/$INIT_NAME" sh -c "$INIT_SCRIPT" init "$@"; fi
  # capsh runs --shell with the words after -- as its arguments.
  command_path=$1
  shift
  if [ "$PRIVILEGED" = 1 ]; then
    set -- --chroot="$rootfs" --shell="$command_path" -- "$@"
  else
    set -- --chroot="$rootfs" --drop="$DROP_CAPS" --no-new-privs --shell="$command_path" -- "$@"
  fi
  clean_environment
  export PATH="$SAFE_PATH" HOME=/root TERM="${term:-xterm-256color}" HOSTNAME="$host_name"
  exec capsh "$@"
}

# Empties the environment COMMAND will get, as `env -i` would, without the cost of running it: every exported
# variable is unset. `export -p` prints one "export NAME[=VALUE]" line each; a value's own lines may start with
# "export" too, which only unsets one more name. The lines are split by the shell, not read one by one: `read`
# takes a byte per system call from a pipe.
clean_environment() {
  term=${TERM:-}
  exported=$(export -p)
  old_ifs=$IFS
  IFS='
'
  set -f
  for line in $exported; do
    case "$line" in export\ *) ;; *) continue ;; esac
    var=${line#export }
    var=${var%%=*}
    case "$var" in [A-Za-z_]*) ;; *) continue ;; esac
    case "$var" in *[!A-Za-z0-9_]*) continue ;; esac
    unset "$var" 2>/dev/null || true
  done
  set +f
  IFS=$old_ifs
}

# The rootfs bound onto itself without devices or setuid, a fresh proc with the kernel's sensitive files masked
# or read-only (Docker's list), a small /dev with a private devpts and a /dev/shm. All in this private mount
# namespace, none reaches the host; and all in one `mount -a` over a table written for it, because each
# separate mount would cost a process. The table lives in a folder only root can write.
confine_filesystem() {
  fstab_path "$1"
  r=$fstab
  # Named after the helper, which removes it when the container ends (it is not needed after the mount).
  table=/run/mini-containers/mounts.$HELPER_PID
  {
    if [ "$PRIVILEGED" != 1 ]; then
      printf '%s %s none bind,nodev,nosuid 0 0\n' "$r" "$r"
    fi
    printf 'proc %s/proc proc nosuid,nodev,noexec 0 0\n' "$r"
    if [ "$PRIVILEGED" != 1 ]; then
      for p in sys sysrq-trigger bus fs irq; do
        [ -e "/proc/$p" ] && printf '%s/proc/%s %s/proc/%s none bind,ro,nosuid,nodev,noexec 0 0\n' "$r" "$p" "$r" "$p"
      done
      for f in kcore keys timer_list timer_stats sched_debug latency_stats; do
        [ -f "/proc/$f" ] && printf '/dev/null %s/proc/%s none bind,ro 0 0\n' "$r" "$f"
      done
      for d in acpi scsi asound; do
        [ -d "/proc/$d" ] && printf 'tmpfs %s/proc/%s tmpfs ro,nosuid,nodev,noexec,size=4k 0 0\n' "$r" "$d"
      done
    fi
    printf 'tmpfs %s/dev tmpfs nosuid,mode=755,size=64k 0 0\n' "$r"
    printf 'devpts %s/dev/pts devpts newinstance,ptmxmode=0666,mode=620,nosuid,noexec,X-mount.mkdir=0755 0 0\n' "$r"
    printf 'tmpfs %s/dev/shm tmpfs nosuid,nodev,mode=1777,size=64m,X-mount.mkdir=1777 0 0\n' "$r"
  } > "$table" || die "cannot write $table"
  mount -a -T "$table" || die "cannot set up the container's mounts (proc, masks, /dev)"
  dev=$1/dev
  # cp -a recreates the device nodes and keeps the links (fd, stdin, stdout, stderr → /proc/self/fd/…) as links.
  # The ptmx node opens the devpts instance mounted beside it at pts/ (Linux ≥ 4.7), so it needs no link.
  cp -a /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/ptmx /dev/fd /dev/stdin /dev/stdout \
    /dev/stderr "$dev/" || die "cannot create devices in $dev"
  if [ "$WITH_INIT" = 1 ]; then
    : > "$dev/$INIT_NAME"
    mount --bind -o ro,nosuid "$STATIC_INIT" "$dev/$INIT_NAME" \
      || die "cannot mount $STATIC_INIT as the container's init"
  fi
}

# The internal stages are dispatched here, before the shell has read the rest of this file: each stage is a
# fresh sh, and reading the whole file three times per start would cost about 2 ms.
case "${1:-}" in
  __supervise) shift; supervise "$@" ;;
  __init) shift; init_stage "$@" ;;
esac

usage() {
  cat >&2 <<'EOF'
usage: container-helper.sh start --rootfs DIR [--name NAME] [--hostname NAME] [--status-file FILE] [--] [COMMAND [ARG]...]
       container-helper.sh kill --container PID1 --container-start-time T1 --pid PID --start-time T --signal SIG
EOF
}

# Dies unless the effective uid, read from /proc with builtins only, is root's.
require_root() {
  while read -r key _ effective _; do
    case "$key" in Uid:) [ "$effective" = 0 ] && return 0; break ;; esac
  done < /proc/self/status
  die "must run as root (directly, with sudo or with pkexec)"
}

# Sets self to this script's own physical path, for the stages it runs in new namespaces. It changes directory:
# run it first, while a relative $0 still means something.
find_self() {
  case "$0" in */*) dir=${0%/*} ;; *) dir=. ;; esac
  cd -P -- "${dir:-/}" 2>/dev/null || return 1
  self=$PWD/${0##*/}
}

# --- validation ----------------------------------------------------------------------------------------------
# Validation runs on every start, so it uses shell builtins only: each extra process would cost about a
# millisecond, a quarter of a whole raw `unshare … chroot` start. Results come back in variables, not through
# command substitutions, which would fork.

# Sets rootfs to the physical path of rootfs $1, or dies saying what is wrong with it. Leaves the working
# directory there.
resolve_rootfs() {
  case "$1" in
    /*) ;;
    '') die "--rootfs is empty: give the absolute path of a root filesystem folder" ;;
    *) die "--rootfs must be an absolute path, got a relative one: $1" ;;
  esac
  has_control_chars "$1" && die "--rootfs contains control characters; rename the folder"
  [ -e "$1" ] || die "--rootfs does not exist: $1"
  [ -d "$1" ] || die "--rootfs is not a directory: $1"
  # cd -P leaves the physical path, every link resolved, in PWD.
  cd -P -- "$1" 2>/dev/null || die "--rootfs cannot be entered: $1"
  rootfs=$PWD
  [ "$rootfs" != / ] || die "--rootfs resolves to the host's / : give a separate root filesystem folder"
  has_control_chars "$rootfs" && die "--rootfs resolves to a path with control characters; rename the folder"
  { [ -d "$rootfs/proc" ] && [ ! -L "$rootfs/proc" ]; } || die "the rootfs has no proc/ folder: mkdir '$rootfs/proc'"
  { [ -d "$rootfs/dev" ] && [ ! -L "$rootfs/dev" ]; } || die "the rootfs has no dev/ folder: mkdir '$rootfs/dev'"
}

# Sets name to the default container name: the rootfs folder's name with every byte outside [A-Za-z0-9_.-]
# replaced by "-", cut to 50 bytes, "c" in front when it does not start with a letter or digit, then "-PID".
default_name() {
  rest=${1##*/} base=''
  while [ -n "$rest" ] && [ "${#base}" -lt 50 ]; do
    tail=${rest#?}
    char=${rest%"$tail"}
    rest=$tail
    case "$char" in [A-Za-z0-9_.-]) ;; *) char=- ;; esac
    base=$base$char
  done
  case "$base" in [A-Za-z0-9]*) ;; *) base="c$base" ;; esac
  name="$base-$$"
}

# Sets in_root to the host path that $2 names inside root $1, resolving it the way the container's kernel will:
# component by component, so a link anywhere in the path is followed inside the root (an absolute target starts
# again at the root, ".." stops there and applies to the resolved parent); the host never resolves a link of the
# rootfs, which could point at its own files. Fails after 40 links, as the kernel does.
resolve_in_root() {
  rest=$2 resolved='' hops=0
  while [ -n "$rest" ]; do
    # slash: whether a "/" follows this component, which must then name a folder (as "sh/" or "sh/." does not).
    case "$rest" in
      */*) part=${rest%%/*} rest=${rest#*/} slash=/ ;;
      *) part=$rest rest='' slash='' ;;
    esac
    case "$part" in
      ''|.) continue ;;
      ..) resolved=${resolved%/*}; continue ;;
    esac
    # Every component before this one is a real folder or file of the root, so only this one can be a link.
    if [ -L "$1$resolved/$part" ]; then
      hops=$((hops + 1))
      [ "$hops" -le 40 ] || return 1
      # A process, because no builtin reads a link (the only other one validation runs is stat, under sudo).
      target=$(readlink -- "$1$resolved/$part") || return 1
      case "$target" in /*) resolved='' ;; esac
      rest=$target$slash$rest
    elif [ -n "$slash" ] && [ ! -d "$1$resolved/$part" ]; then
      # Not a folder, yet followed by a "/": the path names nothing, and the trailing "/" keeps the host's test
      # of in_root saying so.
      in_root=$1$resolved/$part/
      return 0
    else
      resolved=$resolved/$part
    fi
  done
  in_root=$1${resolved:-/}
}

# Sets command_path to the path inside the rootfs that COMMAND $2 runs as, or exits 127 or 126 as the container's
# exec would, before any namespace is made for a command that cannot run. A bare name is looked up in the
# container's PATH.
check_command() {
  root=$1 cmd=$2
  case "$cmd" in
    */*)
      case "$cmd" in /*) ;; *) cmd=/$cmd ;; esac
      resolve_in_root "$root" "$cmd" || die "too many levels of links resolving '$2' in the rootfs" "$EXIT_NOTFOUND"
      [ -e "$in_root" ] || die "command not found in the rootfs: $2" "$EXIT_NOTFOUND"
      { [ -f "$in_root" ] && [ -x "$in_root" ]; } || not_executable "$2" "$in_root"
      command_path=$cmd
      ;;
    *)
      # As execvp: a file found but not executable is passed over, and reported (126) if nothing later runs.
      old_path_ifs=$IFS denied=''
      IFS=:
      for dir in $SAFE_PATH; do
        IFS=$old_path_ifs
        resolve_in_root "$root" "$dir/$cmd" || continue
        [ -f "$in_root" ] || continue
        if [ -x "$in_root" ]; then command_path=$dir/$cmd; return 0; fi
        [ -n "$denied" ] || denied=$dir/$cmd denied_host=$in_root
      done
      IFS=$old_path_ifs
      [ -z "$denied" ] || not_executable "$denied" "$denied_host"
      die "command not found in the rootfs's PATH ($SAFE_PATH): $cmd" "$EXIT_NOTFOUND"
      ;;
  esac
}

# Exits 126 for COMMAND $1 (host path $2), which exists but cannot run, saying why. On a filesystem mounted
# noexec every file fails -x whatever its mode: that is told apart (a process, on this failing path only), so the
# user moves the rootfs instead of chmod-ing files that are fine.
not_executable() {
  if [ -f "$2" ] && options=$(findmnt -n -o VFS-OPTIONS --target "$2" 2>/dev/null); then
    case ",$options," in
      *,noexec,*) die "command '$1' cannot run: the filesystem holding the rootfs is mounted noexec; move the rootfs to one that allows programs" "$EXIT_NOEXEC" ;;
    esac
  fi
  die "command is not an executable file in the rootfs: $1" "$EXIT_NOEXEC"
}

# Records of containers whose init is gone, and files of helpers that are gone (a helper that was SIGKILLed could
# not remove its own).
prune_records() {
  # Mount tables and control FIFOs are named after the helper that made them.
  for left in /run/mini-containers/mounts.* "$CONTROL_DIR"/*.fifo; do
    [ -e "$left" ] || continue
    pid=${left##*/}
    pid=${pid#mounts.}
    pid=${pid%.fifo}
    case "$pid" in ''|*[!0-9]*) continue ;; esac
    kill -0 "$pid" 2>/dev/null || rm -f -- "$left"
  done
  for record in "$REGISTRY"/*.json; do
    [ -f "$record" ] || continue
    id=${record##*/}
    id=${id%.json}
    case "$id" in
      *[!0-9-]*|-*|*-|*-*-*) rm -f -- "$record"; continue ;;
    esac
    pid=${id%-*} start=${id#*-}
    # A zombie init is a container that has ended.
    if read_stat "$pid" && [ "$stat_start" = "$start" ] && [ "$stat_state" != Z ]; then continue; fi
    rm -f -- "$record"
  done
}

# Opens fd 3 on a new status file for the caller. Its folder must be the caller's own when sudo or pkexec ran
# us, so root never writes where that user could not; we work from inside the folder (pinned by `cd`, so swapping
# a path component for a link afterwards changes nothing), and noclobber creates the file with O_EXCL, which
# never follows a link planted at the last moment. The same descriptor is kept: the name is never opened again.
open_status_file() {
  case "$1" in /*) ;; *) die "--status-file must be an absolute path: $1" ;; esac
  has_control_chars "$1" && die "--status-file contains control characters"
  case "$1" in */) die "--status-file must name a file, not a folder: $1" ;; esac
  folder=${1%/*} file=${1##*/}
  cd -P -- "${folder:-/}" 2>/dev/null || die "--status-file's folder does not exist: ${folder:-/}"
  caller_uid
  if [ "$uid" != 0 ]; then
    owner=$(stat -c %u -- .) || die "cannot read the owner of ${folder:-/}"
    [ "$owner" = "$uid" ] || die "--status-file's folder must belong to the calling user (uid $uid): ${folder:-/}"
  fi
  { [ ! -e "$file" ] && [ ! -L "$file" ]; } || die "--status-file already exists: $1"
  set -C
  # `command` keeps a failed redirection from ending the shell before die can say why.
  { command exec 3> "./$file"; } 2>/dev/null || die "cannot create --status-file: $1"
  set +C
  cd /
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
        case "$1" in --rootfs) ;; *) [ -n "$2" ] || die "$1 is empty" ;; esac
        case "$1" in
          --rootfs) rootfs=$2 ;;
          --name) name=$2 ;;
          --hostname) host_name=$2 ;;
          --status-file) status_file=$2 ;;
        esac
        shift 2
        ;;
      --privileged|--init)
        case "$seen" in *" $1 "*) die "$1 given twice" ;; esac
        seen="$seen$1 "
        shift
        ;;
      --) shift; break ;;
      -*) die "unknown flag: $1 (see the usage in the helper's header)" ;;
      *) break ;;
    esac
  done
  case "$seen" in *" --rootfs "*) ;; *) die "--rootfs DIR is required" ;; esac
  PRIVILEGED=0 WITH_INIT=0
  case "$seen" in *" --privileged "*) PRIVILEGED=1 ;; esac
  case "$seen" in *" --init "*) WITH_INIT=1 ;; esac

  require_root
  # Before any other cd: $0 may be relative.
  find_self || die "cannot find the helper's own path from $0"
  resolve_rootfs "$rootfs"

  [ -n "$name" ] || default_name "$rootfs"
  valid_name "$name" || die "--name must match [A-Za-z0-9][A-Za-z0-9_.-]{0,62}: $name"
  [ -n "$host_name" ] || host_name=$name
  valid_name "$host_name" || die "--hostname must match [A-Za-z0-9][A-Za-z0-9_.-]{0,62}: $host_name"

  [ $# -gt 0 ] || set -- /bin/sh
  [ -n "$1" ] || die "COMMAND is empty"
  has_control_chars "$1" && die "COMMAND contains control characters"
  check_command "$rootfs" "$1"
  shift
  set -- "$command_path" "$@"
  if [ "$WITH_INIT" = 1 ] && [ ! -x "$STATIC_INIT" ]; then
    die "--init needs a static busybox at $STATIC_INIT: apt-get install busybox-static"
  fi
  command -v capsh >/dev/null 2>&1 || die "capsh is missing: apt-get install libcap2-bin"

  if [ -n "$status_file" ]; then
    open_status_file "$status_file"
    STATUS_FD_OPEN=1
  fi
  prune_records
  # The control server makes the FIFO beside the container's start, off its critical path.
  CONTROL_FIFO=$CONTROL_DIR/$$.fifo
  cd /
  export NAME="$name" STATUS_FD_OPEN="${STATUS_FD_OPEN:-0}" HELPER_PID="$$" CONTROL_FIFO PRIVILEGED WITH_INIT
  child=''
  trap 'end_container' HUP INT TERM
  # Background jobs get /dev/null as stdin unless told otherwise: keep the terminal on fd 0.
  # --pdeathsig: if this helper is SIGKILLed, the supervisor dies too, and PID 1 with it.
  exec 4<&0
  setpriv --pdeathsig KILL -- unshare --pid --mount --uts --ipc --propagation private \
    -- /bin/sh "$self" __supervise "$rootfs" "$host_name" -- "$@" <&4 4<&- &
  child=$!
  exec 4<&-
  setpriv --pdeathsig KILL -- /bin/sh "$self" __serve "$CONTROL_FIFO" "$child" </dev/null &
  server=$!
  code=0
  while :; do
    wait "$child" && code=0 || code=$?
    # wait returns >128 when a trapped signal interrupted it; loop until the supervisor itself is gone.
    kill -0 "$child" 2>/dev/null || break
  done
  # If the interrupted wait had already reaped the supervisor, asking again gives its own status, not 128+N.
  if wait "$child" 2>/dev/null; then code=0; else last=$?; [ "$last" = 127 ] || code=$last; fi
  kill -KILL "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  # Our record names this helper's PID (a folder only root writes); one rm for it, the FIFO and the mount table.
  leftovers=''
  for record in "$REGISTRY"/*.json; do
    [ -f "$record" ] || continue
    IFS= read -r line 2>/dev/null < "$record" || continue
    case "$line" in *"\"helperPid\":$$}") leftovers=$record ;; esac
  done
  rm -f -- "$CONTROL_FIFO" "/run/mini-containers/mounts.$$" ${leftovers:+"$leftovers"}
  if [ "${STATUS_FD_OPEN:-0}" = 1 ]; then
    printf '{"event":"exited","code":%s}\n' "$code" >&3
  fi
  exit "$code"
}

end_container() {
  if [ -n "$child" ]; then
    # TERM lets the supervisor kill and reap PID 1; if this helper dies instead, its parent-death signal does.
    kill -TERM "$child" 2>/dev/null || true
  else
    exit 143
  fi
}

# --- `kill` ------------------------------------------------------------------------------------------------------

# A positive decimal PID without leading zeros, at most pid_max.
valid_pid() {
  case "$1" in ''|0*|*[!0-9]*) return 1 ;; esac
  [ "${#1}" -le 10 ] || return 1
  # cat, not `read`: dash reads byte by byte, and a sysctl file answers a read at offset 1 with nothing.
  pid_max=$(cat /proc/sys/kernel/pid_max) || return 1
  [ "$1" -le "$pid_max" ]
}

valid_start_time() {
  case "$1" in ''|*[!0-9]*|0?*) return 1 ;; esac
  [ "${#1}" -le 20 ]
}

# Prints the signal's name (TERM) for a name (TERM or SIGTERM) or a number 1..31.
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

# Prints the PIDs of the NSpid line of PID $1 (as $2/proc shows it), outermost first, space-separated.
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
  done < "${2:-}/proc/$1/status"
  return 1
}

kill_command() {
  container='' container_start='' target='' target_start='' sig=''
  seen=' '
  while [ $# -gt 0 ]; do
    case "$1" in
      --container|--container-start-time|--pid|--start-time|--signal)
        case "$seen" in *" $1 "*) die "$1 given twice" ;; esac
        seen="$seen$1 "
        [ $# -ge 2 ] || die "$1 needs a value"
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
  require_root
  send_signal "$container" "$container_start" "$target" "$target_start" "$sig"
}

# send_signal PID1 T1 PID T SIG, all validated. Shared by `kill` and the supervisor's control channel.
send_signal() {
  read_stat "$1" || die "container $1 is not running"
  [ "$stat_start" = "$2" ] || die "container $1 has ended (that PID now names another process)"
  [ "$stat_state" != Z ] || die "container $1 has ended"
  init_chain=$(ns_pids "$1") || die "cannot read the PID namespaces of $1"
  level=0 last=''
  for n in $init_chain; do level=$((level + 1)) last=$n; done
  { [ "$level" -ge 2 ] && [ "$last" = 1 ]; } || die "$1 is not the PID 1 of a container: refusing to signal anything"

  if [ "$3" = "$1" ]; then
    [ "$4" = "$2" ] || die "--start-time does not match the container's PID 1"
    # From inside its namespace PID 1 ignores signals it has no handler for, even KILL: send it from here.
    kill -s "$5" "$1" 2>/dev/null || die "could not signal PID 1 of container $1"
    return 0
  fi

  read_stat "$3" || die "process $3 is not running"
  [ "$stat_start" = "$4" ] || die "process $3 has ended (that PID now names another process)"
  [ "$stat_state" != Z ] || die "process $3 has already exited"
  target_chain=$(ns_pids "$3") || die "cannot read the PID namespaces of $3"
  # The target's PIDs from the container's namespace inward: drop the outer levels above PID 1's.
  skip=$((level - 1)) inner=''
  for n in $target_chain; do
    if [ "$skip" -gt 0 ]; then skip=$((skip - 1)); else inner="${inner:+$inner }$n"; fi
  done
  [ -n "$inner" ] || die "process $3 is not in container $1"
  # In the container's PID namespace and a private mount namespace, a proc mounted for the purpose shows that
  # namespace: the number must name a process with the same start time and the same NSpid chain, and PID 1 there
  # must be the container's, so a process of another container with the same number is never hit. The script is
  # a constant; the values reach it as arguments.
  script=$(cat <<'INSIDE'
set -eu
nspid=$1 start=$2 chain=$3 sig=$4 init_start=$5 shown=$6
fail() { printf 'container-helper: %s\n' "$1" >&2; exit 125; }
start_of() { read -r stat < "/proc/$1/stat" || return 1; set -f; set -- ${stat##*) }; set +f; printf '%s' "${20}"; }
mount -t proc -o nosuid,nodev,noexec proc /proc || fail "cannot mount the container's proc"
[ "$(start_of 1 2>/dev/null)" = "$init_start" ] || fail "not in the container's PID namespace"
[ "$(start_of "$nspid" 2>/dev/null)" = "$start" ] || fail "process $shown is not in this container"
while IFS= read -r line; do
  case "$line" in NSpid:*) set -f; set -- ${line#NSpid:}; set +f; found="$*" ;; esac
done 2>/dev/null < "/proc/$nspid/status"
[ "${found:-}" = "$chain" ] || fail "process $shown is not in this container"
kill -s "$sig" "$nspid" 2>/dev/null || fail "could not signal process $shown"
INSIDE
)
  nsenter --target "$1" --pid -- unshare --mount --propagation private --fork -- \
    /bin/sh -c "$script" signal "${inner%% *}" "$4" "$inner" "$5" "$2" "$3"
}

# --- the control channel --------------------------------------------------------------------------------------

# Sets uid to the calling user's uid: sudo and pkexec set these; run directly, root.
caller_uid() {
  uid=${SUDO_UID:-${PKEXEC_UID:-0}}
  case "$uid" in ''|*[!0-9]*) die "SUDO_UID or PKEXEC_UID is not a number: $uid" ;; esac
}

# Creates FIFO $1, owned by the caller, in a folder only root can change. A file left there under that name by
# a helper that had the same PID and was SIGKILLed is replaced.
make_control_fifo() {
  caller_uid
  [ -d "$CONTROL_DIR" ] || mkdir -p "$CONTROL_DIR" || die "cannot create $CONTROL_DIR"
  if [ -e "$1" ] || [ -L "$1" ]; then rm -f -- "$1"; fi
  mkfifo -m 600 "$1" || die "cannot create the control FIFO $1"
  if [ "$uid" != 0 ]; then chown "$uid" "$1" || die "cannot give the control FIFO to uid $uid"; fi
}

# __serve FIFO SUPERVISOR: started by `start` beside the supervisor, in the host's namespaces (never inside the
# container, where its root could reach it). Run by hand it refuses: the supervisor must be its sibling.
serve_control() {
  fifo=$1 supervisor=$2
  still_child_of "${HELPER_PID:-}"
  valid_pid "$supervisor" || die "internal stage got an invalid supervisor PID"
  # Its parent is the helper (checked just above): the supervisor's must be too.
  read_stat "$supervisor" || die "internal stage cannot read the supervisor's parent"
  [ "$stat_ppid" = "$HELPER_PID" ] || die "internal stage run by hand; use 'start'"
  case "$fifo" in "$CONTROL_DIR/$HELPER_PID.fifo") ;; *) die "internal stage got a FIFO other than its helper's" ;; esac
  make_control_fifo "$fifo"
  { [ -p "$fifo" ] && [ ! -L "$fifo" ]; } || die "internal stage got no FIFO"
  # Read-write, so the read end never sees end-of-file while no writer is connected.
  exec 5<> "$fifo"
  while IFS= read -r request <&5; do
    answer_request "$supervisor" "$request"
  done
}

answer_request() {
  supervisor=$1
  set -f
  # shellcheck disable=SC2086 # a request is words separated by spaces, split on purpose
  set -- $2
  set +f
  # The answer carries the request's ID when it is a valid one, else 0.
  id=0
  if valid_id "${2:-}"; then id=$2; fi
  if error=$( (check_request "$supervisor" "$@") 2>&1 >/dev/null); then
    respond "{\"event\":\"signal\",\"id\":$id,\"ok\":true}"
  else
    error=${error#container-helper: }
    json_string "$(printf '%s' "$error" | tr -d '[:cntrl:]')"
    respond "{\"event\":\"signal\",\"id\":$id,\"ok\":false,\"error\":$json}"
  fi
}

check_request() {
  supervisor=$1
  shift
  { [ $# = 7 ] && [ "$1" = kill ]; } || die "a request is: kill ID PID1 T1 PID T SIGNAL"
  valid_id "$2" || die "ID must be 1 to 9 digits: $2"
  valid_pid "$3" || die "PID1 must be a PID: $3"
  valid_start_time "$4" || die "T1 must be a whole number: $4"
  valid_pid "$5" || die "PID must be a PID: $5"
  valid_start_time "$6" || die "T must be a whole number: $6"
  sig=$(signal_name "$7") || die "not a signal: $7"
  { read_stat "$3" && [ "$stat_ppid" = "$supervisor" ]; } || die "$3 is not the PID 1 of this channel's container"
  send_signal "$3" "$4" "$5" "$6" "$sig"
}

# A request ID: 1 to 9 digits, no leading zero.
valid_id() {
  case "$1" in ''|0*|*[!0-9]*|??????????*) return 1 ;; esac
}

respond() {
  if [ "${STATUS_FD_OPEN:-0}" = 1 ]; then printf '%s\n' "$1" >&3; fi
}

case "${1:-}" in
  start) shift; start "$@" ;;
  kill) shift; kill_command "$@" ;;
  __serve) shift; serve_control "$@" ;;
  -h|--help|help) usage; exit 0 ;;
  '') usage; die "no subcommand given" ;;
  *) usage; die "unknown subcommand: $1" ;;
esac
