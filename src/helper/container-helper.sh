#!/bin/sh
# container-helper.sh — starts Mini Containers' containers with bubblewrap, and signals their processes.
#
# Two ways to run it, one contract:
# - ROOTLESS, run by an ordinary user: the container gets a user namespace too (the caller is uid 0 inside, as
#   `unshare -r` makes it); no password, and nothing it does can exceed what the user could do anyway.
# - PRIVILEGED, run as root, directly or through sudo/pkexec. Then the CALLER is the user sudo or pkexec ran it
#   for, and is treated as an adversary: they choose every argument, environment variable and open descriptor,
#   and race every path they can write. So, under sudo/pkexec (caller not root):
#     - the rootfs must lie in the system store $STORE/NAME (the store's top folder is root's, mode 0700, every
#       component root-owned and not writable by group or others): no path root uses can be changed by the
#       caller, and nothing a container plants there (a setuid file) can be reached by the caller;
#     - root creates files only in folders only root can write: the status file and control FIFO are
#       $RUN/UID/NAME.status and $RUN/UID/NAME.control (UID: the caller's uid), given to the caller once made;
#     - --privileged and --status-file are refused; `kill` and the control channel reach only containers this
#       helper started for that same caller (its record in $RUN/containers);
#     - the caller is SUDO_UID only when the parent process is sudo, PKEXEC_UID only when the parent process
#       runs as that uid (pkexec execs us in its place), never from an inherited environment.
#   Run directly by root (the caller is root), any rootfs and any --status-file are allowed.
#   Both ways: only descriptors 0-2 reach the container (3-9 are closed here; the helper refuses to start with an
#   inheritable descriptor above 9 open); the umask is the helper's own (022); the environment is emptied.
#
# USAGE
#   container-helper.sh start --rootfs DIR [--name NAME] [--hostname NAME] [--status-file FILE]
#                             [--privileged] [--init] [--] [COMMAND [ARG]...]
#
#   Runs COMMAND (default /bin/sh) as PID 1 of new PID, mount, UTS and IPC namespaces (and a user namespace when
#   rootless) on DIR as /, with a fresh /proc and a minimal /dev, through one bubblewrap (bwrap) command. Nothing
#   reaches the host's mount table. The hostname defaults to NAME, which defaults to the rootfs folder's name
#   plus a number. Environment: PATH, HOME=/root, TERM and HOSTNAME only.
#
#   Confinement (Docker's defaults are the reference): the capability bounding set is Docker's default set less
#   SYS_CHROOT and MKNOD; no_new_privs; the seccomp filter seccomp.bpf beside this script (generated from
#   src/core/seccomp.ts: keyctl, bpf, mount, user namespaces, TIOCSTI… are refused with EPERM); /proc/sys, sysrq-trigger,
#   bus, fs, irq read-only, /proc/kcore, keys, timer_list, sched_debug, latency_stats masked. --privileged
#   (only when the caller is root) keeps every capability, no filter and no masks, like `docker run
#   --privileged`. --init makes PID 1 a minimal init (the host's static busybox, read-only) that reaps orphans and
#   forwards HUP, INT and TERM to COMMAND, like `docker run --init`.
#
#   DIR       absolute, a directory after resolving links, not /, no control characters; must hold proc/ and dev/
#   NAME      [A-Za-z0-9][A-Za-z0-9_.-]{0,62}, same for --hostname
#   FILE      absolute path of a file that does not exist yet (created without following links); under
#             sudo/pkexec the status file is always $RUN/UID/NAME.status instead (a later start of that user
#             removes it once this helper is gone). It receives JSON lines:
#               {"event":"helper","pid":H}   (first: the helper's PID)
#               {"event":"started","initPid":P,"startTime":T,"rootfs":"DIR","name":"NAME","hostname":"H",
#                "mode":"rootless|privileged","control":"FIFO","helperPid":H}
#               {"event":"signal","id":ID,"ok":true} | {"event":"signal","id":ID,"ok":false,"error":"…"}
#               {"event":"exited","code":N}
#             P: host PID of the container's PID 1; T: field 22 of /proc/P/stat (P and T together identify the
#             container: the kernel reuses PIDs).
#   While it runs, the "started" record (plus "uid") is also kept in the registry, REG/P-T.json, where REG is
#   $RUN/containers when privileged, and $XDG_RUNTIME_DIR/mini-containers/containers (else
#   /tmp/mini-containers-UID/containers) when rootless.
#
#   Control channel: FIFO "control" of the started line (the caller's, mode 0600). While the container runs the
#   helper reads lines `kill ID PID1 T1 PID T SIG` from it (ID: 1 to 9 digits) and answers each in the status file
#   as above. Only its own container can be named, and every check of `kill` applies: a user who started a
#   container with sudo stops its processes without typing the password again, and nobody else can.
#
# EXIT STATUS (Docker's convention)
#   COMMAND's own status (128+N when it was killed by signal N)
#   125  helper error: bad argument, missing rootfs part, refused, or bubblewrap failed (its message is shown)
#   126  COMMAND found in the rootfs but not executable
#   127  COMMAND not found in the rootfs
#   Every helper error is one line on stderr starting "container-helper: " that says what to fix.
#
#   Needs bwrap (bubblewrap), env from coreutils 8.31 or later (--default-signal), and as root capsh (libcap2-bin).
#
#   The chain on the host: [sudo →] this helper → bwrap (the monitor, host PID namespace, exec'd through env, which
#   resets every signal to its default, and capsh as root) → PID 1. HUP, INT or
#   TERM to the helper end the container; if the helper dies, bwrap (--die-with-parent) kills PID 1, and with it
#   every process of the namespace.
#
#   container-helper.sh kill --container PID1 --container-start-time T1 --pid PID --start-time T --signal SIG
#
#   Sends SIG to host PID PID only when all of this holds: PID1-T1 is a container this helper started (its
#   record, and under sudo/pkexec, for this caller) whose PID 1 still has start time T1; PID's start time is T;
#   PID lies in PID1's namespace or one nested in it. The signal is sent from inside the container's PID
#   namespace (so no host process can be reached by number), after checking, in a proc mounted there for the
#   purpose, that the number names the same process; only PID 1 is signalled from the host.
#   PID, PID1: decimal, 1..pid_max; T, T1: decimal; SIG: a name (TERM, SIGTERM) or number 1..31.
#   Exit 0 when sent; 125 with one line saying why when refused or failed.
#
#   container-helper.sh make-rootfs --name NAME
#
#   As root (directly, or for a caller through sudo/pkexec): creates the BusyBox root filesystem $STORE/NAME from
#   the host's static busybox, root-owned, for privileged containers of any user allowed to run this helper; its
#   content is fixed, so a caller chooses only the name (one that is not taken). Prints its path.

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

# Closes the descriptors given before "--" (bash can name any number), then runs the rest. A constant.
# shellcheck disable=SC2016 # expanded by bash, not here
readonly CLOSE_FDS='while [ "$1" != -- ]; do fd=$1; shift; exec {fd}>&-; done; shift; exec "$@"'

# Docker's default capabilities less SYS_CHROOT and MKNOD: what a default container keeps, in its bounding set too.
readonly KEEP_CAPS='CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP
CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_AUDIT_WRITE CAP_SETFCAP'
# As root, bwrap does not touch the bounding set: capsh drops the rest from it first, and hands bwrap, through
# the inheritable set, the capabilities it needs to build the sandbox (bwrap then leaves only KEEP_CAPS).
readonly DROP_BOUNDING=cap_dac_read_search,cap_linux_immutable,cap_net_broadcast,cap_net_admin,cap_ipc_lock,\
cap_ipc_owner,cap_sys_module,cap_sys_rawio,cap_sys_chroot,cap_sys_ptrace,cap_sys_pacct,cap_sys_admin,cap_sys_boot,\
cap_sys_nice,cap_sys_resource,cap_sys_time,cap_sys_tty_config,cap_mknod,cap_lease,cap_audit_control,\
cap_mac_override,cap_mac_admin,cap_syslog,cap_wake_alarm,cap_block_suspend,cap_audit_read,cap_perfmon,cap_bpf,\
cap_checkpoint_restore
readonly BWRAP_NEEDS=cap_sys_admin,cap_sys_chroot,cap_net_admin,cap_sys_ptrace,cap_setpcap,cap_setuid,cap_setgid

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

valid_name() {
  [ "${#1}" -ge 1 ] && [ "${#1}" -le 63 ] || return 1
  case "$1" in
    [!A-Za-z0-9]*|*[!A-Za-z0-9_.-]*) return 1 ;;
  esac
}

# Sets json to $1 as a JSON string (control characters were refused before).
json_string() {
  case "$1" in
    *[\"\\]*) json=\"$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')\" ;;
    *) json=\"$1\" ;;
  esac
}

# Sets stat (the whole line), stat_state, stat_ppid and stat_start (fields 3, 4 and 22) from /proc/$1/stat; fails when the
# process is gone. The command name may hold spaces and parentheses: cut at the last ")".
read_stat() {
  read -r stat 2>/dev/null < "/proc/$1/stat" || return 1
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

# Sets mode (rootless | privileged) and caller (the uid the helper works for). Under root, SUDO_UID counts only
# when the parent is sudo, PKEXEC_UID only when the parent runs as that very uid (pkexec execs us in its place);
# anything else is root's own call, whatever the environment says.
find_caller() {
  read_uids self || die "cannot read /proc/self/status"
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
}

# Sets leaked to the descriptors above 9 that are open and inheritable: sh cannot close them, so bash does, just
# before bwrap runs (sudo and pkexec close them themselves; a caller's own leak is the usual cause).
find_leaked_fds() {
  leaked=''
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    case "$fd" in [0-9]|*[!0-9]*) continue ;; esac
    flags=''
    while read -r key value; do
      case "$key" in flags:) flags=$value; break ;; esac
    done 2>/dev/null < "/proc/self/fdinfo/$fd" || continue
    # O_CLOEXEC is 02000000: the shell's own descriptors carry it, and are never inherited.
    case "$flags" in ''|*[!0-7]*) continue ;; esac
    [ $((0$flags & 02000000)) != 0 ] || leaked="$leaked $fd"
  done
  if [ -n "$leaked" ]; then
    command -v bash >/dev/null 2>&1 || die "descriptors$leaked are open and would reach the container, and bash is missing to close them: close them before running the helper"
  fi
}

# --- validation: builtins only on the usual path (each process costs about a millisecond) ------------------

# Sets rootfs to the physical path of $1, or dies saying what is wrong. Leaves the working directory there.
resolve_rootfs() {
  case "$1" in
    /*) ;;
    '') die "--rootfs is empty: give the absolute path of a root filesystem folder" ;;
    *) die "--rootfs must be an absolute path, got a relative one: $1" ;;
  esac
  has_control_chars "$1" && die "--rootfs contains control characters; rename the folder"
  if [ ! -e "$1" ]; then
    # EACCES on the way is not "missing": say which it is.
    [ -L "$1" ] || cd -- "${1%/*}/" 2>/dev/null || die "--rootfs cannot be reached (permission denied or missing folder on the way): $1"
    die "--rootfs does not exist: $1"
  fi
  [ -d "$1" ] || die "--rootfs is not a directory: $1"
  cd -P -- "$1" 2>/dev/null || die "--rootfs cannot be entered (permission denied): $1"
  rootfs=$PWD
  [ "$rootfs" != / ] || die "--rootfs resolves to the host's / : give a separate root filesystem folder"
  has_control_chars "$rootfs" && die "--rootfs resolves to a path with control characters; rename the folder"
  { [ -d "$rootfs/proc" ] && [ ! -L "$rootfs/proc" ]; } || die "the rootfs has no proc/ folder: mkdir '$rootfs/proc'"
  { [ -d "$rootfs/dev" ] && [ ! -L "$rootfs/dev" ]; } || die "the rootfs has no dev/ folder: mkdir '$rootfs/dev'"
}

# Under sudo/pkexec: the rootfs must be $STORE/NAME itself (no link on the way), and every folder from / to it
# root's and writable by nobody else, the store's top 0700. Then no path root uses below can be changed by the
# caller, and nothing planted there can be run by the caller on the host.
require_store_rootfs() {
  case "$rootfs" in
    "$STORE"/*) ;;
    *) die "under sudo or pkexec the rootfs must be in $STORE (ask root to run 'container-helper.sh make-rootfs --name NAME'), or start a rootless shell with no password: $rootfs" ;;
  esac
  entry=${rootfs#"$STORE"/}
  valid_name "$entry" || die "a rootfs in $STORE must be a folder directly inside it: $rootfs"
  top=${STORE%/*}
  # One process, under sudo/pkexec only: the owner and mode of each folder on the way.
  owners=$(stat -c '%u %a %n' -- / /var /var/lib "$top" "$STORE" "$rootfs") || die "cannot read the owners of $rootfs"
  while read -r owner perms path; do
    [ "$owner" = 0 ] || die "$path is not owned by root: refusing a privileged container on $rootfs"
    case "$perms" in *[2367]?|*[2367]) die "$path is writable by group or others: refusing a privileged container on $rootfs" ;; esac
    [ "$path" != "$top" ] || [ "$perms" = 700 ] || die "$top must be mode 0700 (only root may enter it), not $perms"
  done <<EOF
$owners
EOF
}

# Sets name to the default container name: the rootfs folder's name made valid, cut to 50 bytes, plus "-PID".
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

# Sets in_root to the host path that $2 names inside root $1, resolved as the container's kernel will: component
# by component, an absolute link target starting again at the root, ".." stopping there. Fails after 40 links.
resolve_in_root() {
  rest=$2 resolved='' hops=0
  while [ -n "$rest" ]; do
    case "$rest" in
      */*) part=${rest%%/*} rest=${rest#*/} slash=/ ;;
      *) part=$rest rest='' slash='' ;;
    esac
    case "$part" in
      ''|.) continue ;;
      ..) resolved=${resolved%/*}; continue ;;
    esac
    if [ -L "$1$resolved/$part" ]; then
      hops=$((hops + 1))
      [ "$hops" -le 40 ] || return 1
      target=$(readlink -- "$1$resolved/$part") || return 1
      case "$target" in /*) resolved='' ;; esac
      rest=$target$slash$rest
    elif [ -n "$slash" ] && [ ! -d "$1$resolved/$part" ]; then
      in_root=$1$resolved/$part/
      return 0
    else
      resolved=$resolved/$part
    fi
  done
  in_root=$1${resolved:-/}
}

# Sets command_path to the path inside the rootfs COMMAND $2 runs as, or exits 127/126 as exec would.
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

not_executable() {
  if [ -f "$2" ] && options=$(findmnt -n -o VFS-OPTIONS --target "$2" 2>/dev/null); then
    case ",$options," in
      *,noexec,*) die "command '$1' cannot run: the filesystem holding the rootfs is mounted noexec; move the rootfs to one that allows programs" "$EXIT_NOEXEC" ;;
    esac
  fi
  die "command is not an executable file in the rootfs: $1" "$EXIT_NOEXEC"
}

# Sets registry and rundir (this mode's folders), creating them. Privileged: folders of root's, 0755 whatever the
# caller's umask, made before anything forks. Rootless: the user's own runtime folder.
make_folders() {
  if [ "$mode" = privileged ]; then
    registry=$RUN/containers rundir=$RUN/$caller
  else
    base=${XDG_RUNTIME_DIR:-}
    if [ -n "$base" ] && [ -d "$base" ] && [ -O "$base" ] && ! has_control_chars "$base"; then
      case "$base" in /*) ;; *) base='' ;; esac
    else
      base=''
    fi
    if [ -n "$base" ]; then rundir=$base/mini-containers; else rundir=/tmp/mini-containers-$caller; fi
    registry=$rundir/containers
  fi
  if [ ! -d "$registry" ] || [ ! -d "$rundir" ]; then
    # Rootless: the user's own folders, private to them.
    if [ "$mode" = rootless ]; then umask 077; fi
    # Another first start may be making the same folders: each mkdir -p tolerates that, and is tried again
    # until both exist.
    tries=0
    until [ -d "$registry" ] && [ -d "$rundir" ]; do
      tries=$((tries + 1))
      [ "$tries" -le 3 ] || die "cannot create $registry and $rundir"
      mkdir -p -- "$registry" 2>/dev/null || true
      mkdir -p -- "$rundir" 2>/dev/null || true
    done
    umask 022
  fi
  if [ "$mode" = rootless ]; then
    { [ -O "$rundir" ] && [ ! -L "$rundir" ]; } || die "$rundir is not yours: remove it or set XDG_RUNTIME_DIR"
  fi
}

# Opens fd 3 on the new status file $1, created with O_EXCL (noclobber: never through a link), from inside its
# folder; the name is never opened again.
open_status_file() {
  case "$1" in /*) ;; *) die "--status-file must be an absolute path: $1" ;; esac
  has_control_chars "$1" && die "--status-file contains control characters"
  case "$1" in */) die "--status-file must name a file, not a folder: $1" ;; esac
  folder=${1%/*} file=${1##*/}
  cd -P -- "${folder:-/}" 2>/dev/null || die "--status-file's folder does not exist: ${folder:-/}"
  { [ ! -e "$file" ] && [ ! -L "$file" ]; } || die "--status-file already exists: $1"
  set -C
  { command exec 3> "./$file"; } 2>/dev/null || die "cannot create --status-file: $1"
  set +C
  cd /
}

# Records of containers whose PID 1 is gone (a helper that was SIGKILLed could not remove its own), and FIFOs of
# helpers that are gone.
prune_records() {
  for record in "$registry"/*.json; do
    [ -f "$record" ] || continue
    id=${record##*/}
    id=${id%.json}
    case "$id" in *[!0-9-]*|-*|*-|*-*-*) rm -f -- "$record"; continue ;; esac
    if read_stat "${id%-*}" && [ "$stat_start" = "${id#*-}" ] && [ "$stat_state" != Z ]; then
      # A container whose helper is gone: SIGKILLed in the few ms before bwrap armed PID 1's parent-death
      # signal. It is a PID 1 of its own namespace (checked), so this ends exactly that container.
      IFS= read -r line 2>/dev/null < "$record" || continue
      owner=${line##*\"helperPid\":}
      owner=${owner%%[!0-9]*}
      [ -n "$owner" ] || continue
      if ! kill -0 "$owner" 2>/dev/null && [ "$stat_ppid" != "$owner" ]; then
        chain=$(ns_pids "${id%-*}") || continue
        case " $chain" in *" 1") kill -KILL "${id%-*}" 2>/dev/null || true ;; *) continue ;; esac
      else
        continue
      fi
    fi
    rm -f -- "$record"
  done
}

# Files in this mode's run folder whose helper is gone (SIGKILLed, or ended under sudo, where the status file
# must outlive it for the extension to read): PID.control of a dead helper; NAME.status and NAME.control whose
# status file's first line names a dead helper.
prune_rundir() {
  for file in "$rundir"/*.pending; do
    [ -f "$file" ] || continue
    owner=${file##*/}
    owner=${owner%.pending}
    case "$owner" in ''|*[!0-9]*) continue ;; esac
    { [ "$owner" = $$ ] || kill -0 "$owner" 2>/dev/null; } && continue
    { IFS= read -r since && IFS= read -r root; } < "$file" || { rm -f -- "$file"; continue; }
    end_orphans_of "$owner" "$since" "$root"
    rm -f -- "$file"
  done
  for file in "$rundir"/*.control "$rundir"/*.status; do
    [ -e "$file" ] || [ -L "$file" ] || continue
    base=${file##*/}
    base=${base%.*}
    owner=''
    case "$base" in
      *[!0-9]*) IFS= read -r first 2>/dev/null < "$rundir/$base.status" || first=''
        case "$first" in '{"event":"helper","pid":'*'}') owner=${first#*\"pid\":}; owner=${owner%\}} ;; esac ;;
      *) owner=$base ;;
    esac
    case "$owner" in ''|*[!0-9]*) continue ;; esac
    { [ "$owner" = $$ ] || kill -0 "$owner" 2>/dev/null; } && continue
    rm -f -- "$file"
  done
}

# Ends what helper $1 (started at $2, on rootfs $3, not running now) left when it was SIGKILLed before it could
# record its container. bwrap 0.8 arms its sandbox's parent-death signal late, so a helper killed in those few ms
# takes bwrap's monitor with it and leaves the sandbox orphaned: either still waiting to be released (its command
# line then carries the mark MC_HELPER_PID_ that only helper $1 gives), or already running COMMAND on that rootfs
# (the same directory, by device and inode), started after the helper. Only an orphaned PID 1 of its own PID
# namespace that matches is ended.
end_orphans_of() {
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    { read_stat "$pid" && [ "$stat_ppid" = 1 ] && [ "$stat_start" -ge "$2" ]; } 2>/dev/null || continue
    # -ef (same device and inode) is not in POSIX but in every sh this runs under (dash, bash, busybox ash); a
    # shell without it fails the test, so nothing is ended by mistake.
    # shellcheck disable=SC3013
    if [ "$dir/root" -ef "$3" ]; then
      :
    elif ! grep -qsF -e "MC_HELPER_$1_" "$dir/cmdline"; then
      continue
    fi
    chain=$(ns_pids "$pid") || continue
    case " $chain" in *" "*" 1") kill -KILL "$pid" 2>/dev/null || true ;; esac
  done
}

# The bwrap argv, in "$@", after COMMAND (already there).
build_bwrap_args() {
  set -- --as-pid-1 "$@"
  if [ "$privileged" != 1 ]; then
    for cap in $KEEP_CAPS; do set -- --cap-add "$cap" "$@"; done
    set -- --cap-drop ALL "$@"
    set -- --seccomp 9 "$@"
    # Read-only binds of themselves (bwrap can only remount what is already a mount point).
    for p in sys sysrq-trigger bus fs irq; do
      [ -e "/proc/$p" ] && set -- --ro-bind "/proc/$p" "/proc/$p" "$@"
    done
    for f in kcore keys timer_list timer_stats sched_debug latency_stats; do
      [ -f "/proc/$f" ] && set -- --ro-bind /dev/null "/proc/$f" "$@"
    done
  else
    set -- --cap-add ALL "$@"
  fi
  if [ "$with_init" = 1 ]; then
    set -- --ro-bind "$STATIC_INIT" "/dev/$INIT_NAME" "$@"
  fi
  if [ "$mode" = rootless ]; then
    set -- --unshare-user --uid 0 --gid 0 "$@"
  fi
  set -- --bind "$rootfs" / --proc /proc --dev /dev --unshare-pid --unshare-ipc --unshare-uts --hostname "$host_name" \
    --die-with-parent --json-status-fd 3 --chdir / --unsetenv "MC_HELPER_$$_" --clearenv --setenv PATH "$SAFE_PATH" --setenv HOME /root \
    --setenv TERM "${TERM:-xterm-256color}" --setenv HOSTNAME "$host_name" "$@"
  start_bwrap "$@"
}

start() {
  rootfs='' name='' host_name='' status_file='' privileged=0 with_init=0
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
        case "$1" in --privileged) privileged=1 ;; *) with_init=1 ;; esac
        shift
        ;;
      --) shift; break ;;
      -*) die "unknown flag: $1 (see the usage in the helper's header)" ;;
      *) break ;;
    esac
  done
  case "$seen" in *" --rootfs "*) ;; *) die "--rootfs DIR is required" ;; esac

  find_caller
  if [ "$caller" != 0 ] && [ "$mode" = privileged ]; then
    [ "$privileged" = 0 ] || die "--privileged is refused under sudo or pkexec: only root itself may keep every capability"
    [ -z "$status_file" ] || die "--status-file is refused under sudo or pkexec: the status file is $RUN/$caller/NAME.status"
  fi
  [ "$privileged" = 0 ] || [ "$mode" = privileged ] || die "--privileged needs root: a rootless container cannot have the host's capabilities"
  find_leaked_fds
  case "$0" in */*) self_dir=${0%/*} ;; *) self_dir=. ;; esac
  cd -P -- "$self_dir" 2>/dev/null || die "cannot find the helper's own folder from $0"
  self_dir=$PWD
  resolve_rootfs "$rootfs"
  [ "$caller" = 0 ] || [ "$mode" = rootless ] || require_store_rootfs

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
  if [ "$with_init" = 1 ]; then
    [ -x "$STATIC_INIT" ] || die "--init needs a static busybox at $STATIC_INIT: apt-get install busybox-static"
    set -- "/dev/$INIT_NAME" sh -c "$INIT_SCRIPT" init "$@"
  fi
  # Looked up with builtins (a command substitution costs a fork): the first bwrap on the helper's own PATH.
  bwrap='' old_path_ifs=$IFS
  IFS=:
  for dir in $SAFE_PATH; do
    if [ -f "$dir/bwrap" ] && [ -x "$dir/bwrap" ]; then bwrap=$dir/bwrap; break; fi
  done
  IFS=$old_path_ifs
  [ -n "$bwrap" ] || die "bubblewrap is missing: apt-get install bubblewrap"
  if [ "$privileged" = 0 ]; then
    [ -f "$self_dir/seccomp.bpf" ] || die "the seccomp filter $self_dir/seccomp.bpf is missing: rebuild (node esbuild.mjs) or reinstall"
  fi
  if [ "$mode" = privileged ] && [ "$privileged" = 0 ]; then
    command -v capsh >/dev/null 2>&1 || die "capsh is missing: apt-get install libcap2-bin"
  fi

  make_folders
  if [ "$caller" != 0 ] && [ "$mode" = privileged ]; then
    status_file=$rundir/$name.status
    control=$rundir/$name.control
  else
    control=$rundir/$$.control
  fi
  # A file of an earlier container of the same caller and name (or helper PID), whose helper was SIGKILLed.
  stale=$control
  if [ "$mode" = privileged ] && [ "$caller" != 0 ]; then stale=$status_file; fi
  if [ -e "$control" ] || [ -L "$control" ] || [ -e "$stale" ] || [ -L "$stale" ]; then
    rm -f -- "$control" "$stale"
  fi
  [ -z "$status_file" ] || open_status_file "$status_file"
  # The first line names this helper, so a later start can tell a status file whose helper is gone.
  [ -z "$status_file" ] || printf '{"event":"helper","pid":%s}\n' "$$" >&3
  prune_records
  prune_rundir
  # What a later start needs to end this container if this helper is SIGKILLed before it could record it: the
  # rootfs (compared by device and inode) and this helper's start time.
  read_stat self || die "cannot read /proc/self/stat"
  pending=$rundir/$$.pending
  printf '%s\n%s\n' "$stat_start" "$rootfs" > "$pending" || die "cannot write $pending"
  mkfifo -m 600 -- "$control" || die "cannot create the control FIFO $control"

  build_bwrap_args "$@"
}

# bwrap runs in the background; this shell reads its status from the FIFO, keeps the record, serves the control
# channel, and reports the exit. Its own stdin stays the terminal's (background jobs get /dev/null otherwise).
start_bwrap() {
  monitor='' init_pid='' start_time=''
  trap 'end_container' HUP INT TERM
  exec 4<&0
  # bwrap's status descriptor is the FIFO's write end, and this shell holds the only read end: when bwrap
  # exits, however it fails, the read below sees end-of-file. Held open read-write for a moment (fd 5), the FIFO
  # lets both ends open at once, in either order. And no parent-death signal is needed before bwrap arms its own:
  # if this helper is SIGKILLed before, bwrap's first status line meets a FIFO with no reader, and SIGPIPE ends
  # bwrap before it releases PID 1, left waiting (an orphan the next start ends, as below).
  exec 5<> "$control"
  if [ "$mode" = privileged ] && [ "$privileged" = 0 ]; then
    set -- capsh --inh="$BWRAP_NEEDS" --drop="$DROP_BOUNDING" --shell="$bwrap" -- "$@"
  else
    set -- "$bwrap" "$@"
  fi
  # shellcheck disable=SC2086 # descriptor numbers, split on purpose
  [ -z "$leaked" ] || set -- bash -c "$CLOSE_FDS" close-fds $leaked -- "$@"
  # A job started with & has SIGINT and SIGQUIT ignored, and the caller may have ignored others: every process
  # of the container would inherit that (Ctrl+C would not stop a command there). env resets every signal.
  set -- env --default-signal -- "$@"
  if [ "$privileged" = 0 ]; then
    "$@" 3> "$control" 5<&- <&4 4<&- 9< "$self_dir/seccomp.bpf" &
  else
    "$@" 3> "$control" 5<&- <&4 4<&- &
  fi
  monitor=$!
  exec 4<&-
  exec 6< "$control"
  exec 5<&-
  init_pid='' start_time=''
  # The first line can only be bwrap's: nobody else can open the FIFO yet.
  if IFS= read -r line <&6; then
    case "$line" in
      *'"child-pid": '*)
        init_pid=${line#*\"child-pid\": }
        init_pid=${init_pid%%[!0-9]*}
        ;;
    esac
  fi
  if [ -n "$init_pid" ] && read_stat "$init_pid" && [ "$stat_ppid" = "$monitor" ]; then
    # Wait (builtins only, a few ms) until PID 1 has exec'd COMMAND: bwrap arms its parent-death signal only just
    # before that, so from the "started" line on, the helper's death always takes the container with it.
    spins=0
    while [ "$spins" -lt 100000 ]; do
      case "$stat" in *" (bwrap) "*) ;; *) break ;; esac
      spins=$((spins + 1))
      read_stat "$init_pid" || break
    done
    start_time=$stat_start
    json_string "$rootfs"
    record="{\"event\":\"started\",\"initPid\":$init_pid,\"startTime\":$start_time,\"rootfs\":$json,\"name\":\"$name\",\"hostname\":\"$host_name\",\"mode\":\"$mode\",\"control\":\"$control\",\"helperPid\":$$"
    printf '%s,"uid":%s}\n' "$record" "$caller" > "$registry/$init_pid-$start_time.json" \
      || printf 'container-helper: warning: cannot write %s; the container runs unnamed\n' "$registry" >&2
    if [ "$caller" != 0 ] && [ "$mode" = privileged ]; then
      chown -- "$caller" "$control" "$status_file" || die "cannot give $control to uid $caller"
    fi
    [ -z "$status_file" ] || printf '%s}\n' "$record" >&3
  fi
  # Then control requests, until bwrap reports the exit (a line anyone could write: the exit is bwrap's own).
  while [ -n "$start_time" ] && IFS= read -r line <&6; do
    case "$line" in
      *'"exit-code"'*) break ;;
      *) answer_request "$line" ;;
    esac
  done
  code=0
  while :; do
    wait "$monitor" && code=0 || code=$?
    kill -0 "$monitor" 2>/dev/null || break
  done
  if [ -z "$init_pid" ]; then
    printf 'container-helper: bubblewrap could not start the container (its message is above)\n' >&2
    code=$EXIT_HELPER
  fi
  finish
}

finish() {
  rm -f -- "$control" "$pending" ${start_time:+"$registry/$init_pid-$start_time.json"}
  [ -z "$status_file" ] || printf '{"event":"exited","code":%s}\n' "$code" >&3
  exit "$code"
}

end_container() {
  # PID 1 first, while it is still bwrap's child: bwrap reaps it and exits, so no zombie is left to the host's
  # init. Without a known PID 1, bwrap's monitor, whose death takes PID 1 with it (--die-with-parent).
  if [ -n "$monitor" ]; then
    if [ -n "$start_time" ] && read_stat "$init_pid" && [ "$stat_start" = "$start_time" ] && [ "$stat_ppid" = "$monitor" ]; then
      kill -KILL "$init_pid" 2>/dev/null || true
    else
      kill -KILL "$monitor" 2>/dev/null || true
    fi
    wait "$monitor" 2>/dev/null || true
  fi
  code=137
  finish
}

# --- `kill` and the control channel ----------------------------------------------------------------------------

valid_pid() {
  case "$1" in ''|0*|*[!0-9]*) return 1 ;; esac
  [ "${#1}" -le 10 ] || return 1
  pid_max=$(cat /proc/sys/kernel/pid_max) || return 1
  [ "$1" -le "$pid_max" ]
}

valid_start_time() {
  case "$1" in ''|*[!0-9]*|0?*) return 1 ;; esac
  [ "${#1}" -le 20 ]
}

valid_id() {
  case "$1" in ''|0*|*[!0-9]*|??????????*) return 1 ;; esac
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
  find_caller
  make_folders
  # Root itself may signal any container (the checks below still keep it inside); a user that sudo or pkexec
  # runs this for, only the containers this helper started for that user.
  [ "$caller" = 0 ] || [ "$mode" = rootless ] || require_record "$container" "$container_start"
  send_signal "$container" "$container_start" "$target" "$target_start" "$sig"
}

# Dies unless container $1-$2 has a record of this helper in this mode's registry, made for this caller.
require_record() {
  record=$registry/$1-$2.json
  { [ -f "$record" ] && [ ! -L "$record" ]; } || die "container $1 was not started by this helper: refusing to signal it"
  IFS= read -r line < "$record" || die "cannot read the record of container $1"
  case "$line" in
    *",\"uid\":$caller}") ;;
    *) die "container $1 was started for another user: refusing to signal it" ;;
  esac
}

# send_signal PID1 T1 PID T SIG, all validated.
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
  skip=$((level - 1)) inner=''
  for n in $target_chain; do
    if [ "$skip" -gt 0 ]; then skip=$((skip - 1)); else inner="${inner:+$inner }$n"; fi
  done
  [ -n "$inner" ] || die "process $3 is not in container $1"
  # In the container's PID namespace and a private mount namespace, a proc mounted for the purpose shows that
  # namespace: the number must name a process with the same start time and NSpid chain, and PID 1 there must be
  # the container's. The script is a constant; the values reach it as arguments.
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
  userns=''
  # Rootless: the container's PID namespace belongs to its user namespace, which the caller owns and may join.
  # bwrap denies setgroups there, so credentials are kept as they are (the caller is uid 0 inside).
  [ "$mode" = privileged ] || userns=--user
  [ "$mode" = privileged ] || set -- "$@" --preserve-credentials
  code=0
  nsenter --target "$1" ${userns:+"$userns"} ${6:+"$6"} --pid -- unshare --mount --propagation private --fork -- \
    /bin/sh -c "$script" signal "${inner%% *}" "$4" "$inner" "$5" "$2" "$3" || code=$?
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
    respond "{\"event\":\"signal\",\"id\":$id,\"ok\":true}"
  else
    error=${error#container-helper: }
    json_string "$(printf '%s' "$error" | tr -d '[:cntrl:]')"
    respond "{\"event\":\"signal\",\"id\":$id,\"ok\":false,\"error\":$json}"
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

respond() {
  [ -z "$status_file" ] || printf '%s\n' "$1" >&3
}

# --- `make-rootfs` -----------------------------------------------------------------------------------------------

make_rootfs() {
  { [ $# = 2 ] && [ "$1" = --name ]; } || die "usage: make-rootfs --name NAME"
  valid_name "$2" || die "--name must match [A-Za-z0-9][A-Za-z0-9_.-]{0,62}: $2"
  find_caller
  [ "$mode" = privileged ] || die "make-rootfs needs root (directly, or through sudo or pkexec): rootless containers use a rootfs of your own (mini-containers make-rootfs DIR)"
  [ -x "$STATIC_INIT" ] || die "make-rootfs needs a static busybox at $STATIC_INIT: apt-get install busybox-static"
  top=${STORE%/*}
  mkdir -p -- "$STORE"
  chmod 0700 -- "$top"
  target=$STORE/$2
  { [ ! -e "$target" ] && [ ! -L "$target" ]; } || die "$target already exists"
  # Built beside its place, in root's store (nothing on the way is the caller's), and renamed into place only
  # if nothing took the name meanwhile; removed on any failure.
  work=$STORE/.new-$2-$$
  mkdir -m 0755 -- "$work"
  if ! build_busybox_rootfs "$work" "$2" || ! mv -T -n -- "$work" "$target" || [ -e "$work" ]; then
    rm -rf -- "$work"
    die "could not create $target (it exists, or the store is full)"
  fi
  printf '%s\n' "$target"
}

# The BusyBox root filesystem in the new folder $1 (hostname $2), from the host's static busybox.
build_busybox_rootfs() {
  for dir in bin sbin usr/bin usr/sbin etc root tmp proc dev sys run var home; do mkdir -p -- "$1/$dir" || return 1; done
  chmod 1777 -- "$1/tmp" && chmod 0700 -- "$1/root" && cp -- "$STATIC_INIT" "$1/bin/busybox" || return 1
  # Hard links, as in Docker's busybox image: the same file inside the rootfs and seen from the host, and a
  # command the helper finds without following a link.
  "$1/bin/busybox" --install "$1/bin" || return 1
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$1/etc/passwd" &&
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$1/etc/group" && printf '%s\n' "$2" > "$1/etc/hostname"
}

usage() {
  cat >&2 <<'EOF'
usage: container-helper.sh start --rootfs DIR [--name NAME] [--hostname NAME] [--status-file FILE] [--privileged] [--init] [--] [COMMAND [ARG]...]
       container-helper.sh kill --container PID1 --container-start-time T1 --pid PID --start-time T --signal SIG
       container-helper.sh make-rootfs --name NAME
EOF
}

case "${1:-}" in
  start) shift; start "$@" ;;
  kill) shift; kill_command "$@" ;;
  make-rootfs) shift; make_rootfs "$@" ;;
  -h|--help|help) usage; exit 0 ;;
  '') usage; die "no subcommand given" ;;
  *) usage; die "unknown subcommand: $1" ;;
esac
