
# --- `start` -----------------------------------------------------------------------------------------------------

readonly STATIC_INIT=/bin/busybox
# Moves its own process into each group folder given before "--" (cgroup.procs), then runs the rest in its place.
# A constant; the folders are the ones make_cgroup made.
# shellcheck disable=SC2016 # expanded by that shell, not here
readonly CGROUP_ENTER='while [ "$1" != -- ]; do
  printf "%s\n" "$$" > "$1/cgroup.procs" || { printf "container-helper: cannot enter the cgroup %s\n" "$1" >&2; exit 125; }
  shift
done
shift
exec "$@"'
# How to get a group where there is none (said with the refusal of a limit, and in the note of a start).
cgroup_advice() {
  if [ "$mode" = rootless ]; then
    printf '%s' "Start it as root (the privileged path), or have root delegate you a subtree once: mini-containers delegate-cgroup <your user name>."
  else
    printf '%s' "Mount the cgroup filesystem at $CGROUP_ROOT writable for root."
  fi
}
readonly INIT_NAME=busybox-init
# Says, inside a sandbox on the rootfs (so the container's own kernel resolves every link, ".." stopping at its
# root), why COMMAND ($1) cannot run: one "container-helper: " line and exit 127 (not found) or 126 (found, not
# an executable file, or on a filesystem mounted noexec); returns when it can run. A constant, run by the
# host's static busybox as --init's PID 1 before COMMAND, and after bwrap's own exec of COMMAND failed.
# shellcheck disable=SC2016 # expanded by the sandbox's shell, not here
readonly CHECK_SCRIPT='check_command() {
  found=$1
  case "$1" in
    */*) ;;
    *) found="" denied="" old_ifs=$IFS
      IFS=:
      for dir in $PATH; do
        [ -f "$dir/$1" ] || continue
        if [ -x "$dir/$1" ]; then found=$dir/$1; break; fi
        [ -n "$denied" ] || denied=$dir/$1
      done
      IFS=$old_ifs
      [ -n "$found" ] || found=$denied
      if [ -z "$found" ]; then
        printf "container-helper: command not found in the rootfs'"'"'s PATH (%s): %s\n" "$PATH" "$1" >&2
        exit 127
      fi ;;
  esac
  if [ ! -e "$found" ]; then printf "container-helper: command not found in the rootfs: %s\n" "$found" >&2; exit 127; fi
  if [ ! -f "$found" ] || [ ! -x "$found" ]; then
    printf "container-helper: command is not an executable file in the rootfs: %s\n" "$found" >&2
    exit 126
  fi
  while read -r _ _ _ _ point options _; do
    [ "$point" = / ] || continue
    case ",$options," in
      *,noexec,*) printf "container-helper: command '"'"'%s'"'"' cannot run: the filesystem holding the rootfs is mounted noexec; move the rootfs to one that allows programs\n" "$found" >&2
        exit 126 ;;
    esac
  done < /proc/self/mountinfo
}
'
# --init: PID 1 checks COMMAND, then runs it, reaps orphans and forwards HUP, INT and TERM to it.
# shellcheck disable=SC2016 # expanded by the init shell, not here
readonly INIT_SCRIPT="$CHECK_SCRIPT"'check_command "$1"
exec 4<&0
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

# Sets rootfs to the physical path of $1, or dies saying what is wrong. Leaves the working directory there.
# Delegated, $1 was checked as text first ($STORE/NAME): nothing outside the store is resolved.
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

# The bwrap argv, in "$@", before "--" and COMMAND (already there): COMMAND is never read as one of bwrap's
# options, and bwrap's execvp looks it up in the sandbox's PATH. The options' words are the table's (30-options.sh).
build_bwrap_args() {
  set -- --as-pid-1 -- "$@"
  if [ "$privileged" != 1 ]; then
    for cap in $KEEP_CAPS; do
      # In the host's network, no raw sockets on its interfaces (as root; rootless, the host's namespace is not the
      # user namespace's, so the kernel refuses them anyway).
      [ "$cap" != CAP_NET_RAW ] || [ "$network" != host ] || continue
      set -- --cap-add "$cap" "$@"
    done
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
  # none and private: a network namespace of its own, lo up (private gets tap0 in start_bwrap). Delegated, host is
  # refused: root inside must not be uid 0 toward the host's network.
  if [ "$network" != host ]; then
    set -- --unshare-net "$@"
  fi
  # --env: after --clearenv and the helper's own (bwrap applies them in order), so an image's PATH wins.
  while IFS= read -r kv; do
    [ -n "$kv" ] || continue
    set -- --setenv "${kv%%=*}" "${kv#*=}" "$@"
  done <<ENVS
$envs
ENVS
  # --block-fd 5: the sandbox waits, before it execs COMMAND, for the byte this helper writes once it has noted
  # PID 1's identity (fd 5 is the release FIFO opened read-write: no end-of-file can release it, even if this
  # helper dies; nobody else reads it).
  set -- --proc /proc --dev /dev --unshare-pid --unshare-ipc --unshare-uts --hostname "$host_name" \
    --die-with-parent --json-status-fd 3 --block-fd 5 --chdir "$workdir" --unsetenv "MC_HELPER_$$_" --clearenv \
    --setenv PATH "$SAFE_PATH" --setenv HOME /root --setenv TERM "${TERM:-xterm-256color}" --setenv HOSTNAME "$host_name" "$@"
  # The binds' words, once open_binds has their descriptors, replace --mc-binds (see OPEN_BINDS), on the rootfs.
  # Delegated, first a fresh tmpfs on each DEST's first folder (once each): the mount points are made in it.
  if [ -n "$binds" ]; then
    set -- --mc-binds "$@"
    if [ "$delegated" = 1 ]; then
      tops=' '
      while IFS='	' read -r _ _ dest; do
        [ -n "$dest" ] || continue
        dest_top=${dest#/}
        dest_top=/${dest_top%%/*}
        case "$tops" in *" $dest_top "*) continue ;; esac
        tops="$tops$dest_top "
        set -- --tmpfs "$dest_top" "$@"
      done <<BINDS
$binds
BINDS
    fi
  fi
  # --ephemeral: the overlay OVERLAY_SCRIPT mounts at DIR/merged, in the mount namespace it runs in (start_bwrap).
  if [ "$ephemeral" = 1 ]; then set -- --bind "$rootfs/merged" / "$@"; else set -- --bind "$rootfs" / "$@"; fi
  start_bwrap "$@"
}

# Delegated, no DEST may be another's or lie inside it: bwrap would create that mount point, as root, inside the
# caller's folder bound first, following the links the caller planted there.
check_nested_binds() {
  while IFS='	' read -r _ _ outer; do
    [ -n "$outer" ] || continue
    count=0
    while IFS='	' read -r _ _ inner; do
      case "$inner/" in "$outer"/*) count=$((count + 1)) ;; esac
    done <<BINDS
$binds
BINDS
    [ "$count" = 1 ] || die "--bind DEST $outer holds another bind's DEST (or is given twice): under sudo or pkexec binds may not nest"
  done <<BINDS
$binds
BINDS
}

start() {
  rootfs='' name='' host_name='' status_file='' privileged=0 with_init=0 binds='' bind_count=0 workdir=/
  envs='' env_count=0 ephemeral=0 memory_limit='' pids_limit='' cpu_quota='' pids_default='' cgroup_dirs='' cgroup_path=''
  network='' publish='' publish_count=0 net_exit='' net_process='' net_watcher='' net_tool='' pasta_pid=''
  find_caller
  parse_options "$@"
  shift "$consumed"
  case "$seen" in *" --rootfs "*) ;; *) die "--rootfs DIR is required" ;; esac
  [ "$delegated" = 0 ] || [ -z "$binds" ] || check_nested_binds
  # Delegated, never the host's network unless asked (and then refused): none.
  if [ -z "$network" ]; then
    if [ "$delegated" = 1 ]; then network=none; else network=host; fi
  fi
  [ -z "$publish" ] || [ "$network" = private ] ||
    die "--publish needs --network private (with $network, there is no user-mode stack to forward the port)"
  [ "$network" != private ] || find_network_tool
  find_cgroup_parents
  if [ -z "$cgroup_parents" ]; then
    for asked in memory pids cpus; do
      case "$seen" in *" --$asked "*) die "--$asked needs a cgroup, and this container can have none: $cgroup_why. $(cgroup_advice)" ;; esac
    done
  fi
  find_leaked_fds
  case "$0" in */*) self_dir=${0%/*} ;; *) self_dir=. ;; esac
  cd -P -- "$self_dir" 2>/dev/null || die "cannot find the helper's own folder from $0"
  self_dir=$PWD
  resolve_rootfs "$rootfs"
  [ "$delegated" = 0 ] || require_store_owners

  [ -n "$name" ] || name=mc-$$
  [ -n "$host_name" ] || host_name=$name

  [ $# -gt 0 ] || set -- /bin/sh
  [ -n "$1" ] || die "COMMAND is empty"
  has_control_chars "$1" && die "COMMAND contains control characters"
  command_given=$1
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
  if [ "$delegated" = 1 ]; then
    status_file=$rundir/$name.status
    control=$rundir/$name.control
  else
    control=$rundir/$$.control
  fi
  # A file of an earlier container of the same caller and name (or helper PID), whose helper was SIGKILLed.
  stale=$control
  if [ "$delegated" = 1 ]; then stale=$status_file; fi
  if [ -e "$control" ] || [ -L "$control" ] || [ -e "$stale" ] || [ -L "$stale" ]; then
    rm -f -- "$control" "$stale"
  fi
  [ -z "$status_file" ] || open_status_file "$status_file"
  # The first line names this helper, so a later start can tell a status file whose helper is gone.
  [ -z "$status_file" ] || printf '{"event":"helper","pid":%s}\n' "$$" >&3
  prune_records
  prune_rundir
  read_stat self || die "cannot read /proc/self/stat"
  helper_start=$stat_start
  # The container's group, before anything of it runs; the groups of dead helpers first.
  pending='' release=$rundir/$$.release
  if [ -n "$cgroup_parents" ]; then
    prune_cgroups
    # The default process limit, where the host has a pids controller (one asked for is refused without).
    [ -n "$pids_limit" ] || pids_limit=4096 pids_default=optional
    make_cgroup "$$-$helper_start" || cgroup_parents=''
  fi
  if [ -z "$cgroup_parents" ]; then
    for asked in memory pids cpus; do
      case "$seen" in *" --$asked "*) die "--$asked needs a cgroup, and this container can have none: $cgroup_why" ;; esac
    done
  fi
  if [ -z "$cgroup_parents" ]; then
    # No group names the container's processes: what a later start needs to end this container if this helper
    # is SIGKILLed before it could record it: this helper's start time now, PID 1's identity as soon as bwrap
    # reports it.
    pending=$rundir/$$.pending
    printf '%s\n' "$helper_start" > "$pending" || die "cannot write $pending"
    printf 'note: this container has no cgroup (%s), so no memory, process or CPU limit applies. %s\n' "$cgroup_why" "$(cgroup_advice)" >&2
  fi
  if [ -e "$release" ] || [ -L "$release" ]; then rm -f -- "$release"; fi
  mkfifo -m 600 -- "$control" "$release" || die "cannot create the FIFOs $control and $release"

  build_bwrap_args "$@"
}

# bwrap runs in the background; this shell reads its status from the FIFO, keeps the record, serves the control
# channel, and reports the exit. Its own stdin stays the terminal's (background jobs get /dev/null otherwise).
start_bwrap() {
  monitor='' init_pid='' start_time='' pinned=0 running=1
  trap 'end_container' HUP INT TERM
  exec 4<&0
  # bwrap's status descriptor is the control FIFO's write end, and this shell holds the only read end (fd 6): when
  # bwrap exits, however it fails, the read below sees end-of-file. Opened read-write for a moment (fd 8), the FIFO
  # lets both ends open at once, in either order. fd 5, the release FIFO read-write, is bwrap's --block-fd.
  exec 5<> "$release" 8<> "$control"
  if [ "$mode" = privileged ] && [ "$privileged" = 0 ]; then
    drop=$DROP_BOUNDING
    [ "$network" != host ] || drop=$drop,cap_net_raw
    set -- capsh --inh="$BWRAP_NEEDS" --drop="$drop" --shell="$bwrap" -- "$@"
  else
    set -- "$bwrap" "$@"
  fi
  # --ephemeral: the overlay is mounted first, in a mount namespace of its own that bwrap then inherits (rootless,
  # in a user namespace of its own too, where the user is root: bwrap's own user namespace nests in it).
  if [ "$ephemeral" = 1 ]; then
    if [ "$mode" = rootless ]; then
      set -- unshare --user --map-root-user --mount --propagation private -- bash -c "$OVERLAY_SCRIPT" overlay "$rootfs" ,userxattr "$@"
    else
      set -- unshare --mount --propagation private -- bash -c "$OVERLAY_SCRIPT" overlay "$rootfs" '' "$@"
    fi
  fi
  # shellcheck disable=SC2086 # descriptor numbers, split on purpose
  [ -z "$leaked" ] || set -- bash -c "$CLOSE_FDS" close-fds $leaked -- "$@"
  # A job started with & has SIGINT and SIGQUIT ignored, and the caller may have ignored others: every process
  # of the container would inherit that (Ctrl+C would not stop a command there). env resets every signal.
  set -- env --default-signal -- "$@"
  # The binds: perl opens each SRC (delegated, checks it as the caller), then runs the rest (OPEN_BINDS); their
  # triples come last, where perl takes them from.
  if [ -n "$binds" ]; then
    command -v perl >/dev/null 2>&1 || die "--bind needs perl (perl-base): apt-get install perl-base"
    while IFS='	' read -r access src dest; do
      [ -z "$dest" ] || set -- "$@" "$access" "$src" "$dest"
    done <<BINDS
$binds
BINDS
    set -- perl -T -e "$OPEN_BINDS" -- "$delegated" "$caller" "$bind_count" "$@"
  fi
  # First of all, the chain enters the container's group: every process of it is made there.
  if [ -n "$cgroup_dirs" ]; then
    # shellcheck disable=SC2086 # one folder per line (cgroupfs paths this helper made: no space in them)
    set -- sh -c "$CGROUP_ENTER" cgroup-enter $cgroup_dirs -- "$@"
  fi
  if [ "$privileged" = 0 ]; then
    "$@" 3> "$control" 8<&- <&4 4<&- 9< "$self_dir/seccomp.bpf" &
  else
    "$@" 3> "$control" 8<&- <&4 4<&- &
  fi
  monitor=$!
  exec 4<&-
  exec 6< "$control"
  exec 8<&-
  # The first line can only be bwrap's: nobody else can open the FIFO yet.
  if IFS= read -r line <&6; then
    case "$line" in
      *'"child-pid": '*)
        init_pid=${line#*\"child-pid\": }
        init_pid=${init_pid%%[!0-9]*}
        ;;
    esac
  fi
  # PID 1 is held by fd 7 from now on (its parent, bwrap's monitor, is this shell's unreaped child: the check
  # below names it exactly); noted for a later start; then released to exec COMMAND.
  if [ -n "$init_pid" ] && pin_process "$init_pid" && read_stat self/fd/7 && [ "$stat_ppid" = "$monitor" ]; then
    pinned=1
    start_time=$stat_start
    [ -z "$pending" ] || printf '%s %s\n' "$init_pid" "$start_time" >> "$pending" || true
    # The network first, while PID 1 still waits: COMMAND starts with it up, or not at all.
    if [ "$network" = private ] && ! start_network; then
      signal_pinned KILL || true
      exec 7<&-
      printf x >&5
      exec 5<&-
      wait "$monitor" 2>/dev/null || true
      monitor=''
      printf 'container-helper: %s\n' "$net_error" >&2
      code=$EXIT_HELPER start_time=''
      finish
    fi
    printf x >&5
    exec 5<&-
    # Wait (builtins only, a few ms) until PID 1 has exec'd COMMAND: bwrap arms its parent-death signal only just
    # before that, so from the "started" line on, the helper's death always takes the container with it.
    spins=0 running=1
    while [ "$spins" -lt 100000 ] && [ "$stat_comm" = bwrap ]; do
      spins=$((spins + 1))
      if ! read_stat self/fd/7 || [ "$stat_state" = Z ]; then running=0; break; fi
    done
    write_record
    if [ "$delegated" = 1 ]; then give_to_caller; fi
    # Ended before it was seen running COMMAND: whether it ran is told by its exit (below).
    [ -z "$status_file" ] || [ "$running" = 0 ] || printf '%s}\n' "$record" >&3
  else
    # No PID 1 (bwrap failed before it made one), or not the one reported: never left blocked.
    exec 7<&-
    printf x >&5
    exec 5<&-
  fi
  # Then control requests, until bwrap reports the exit (a line anyone could write: the exit is bwrap's own).
  while [ -n "$start_time" ] && IFS= read -r line <&6; do
    case "$line" in
      *'"exit-code"'*) break ;;
      *) answer_request "$line" ;;
    esac
  done
  # wait returns when the monitor has exited (a trapped signal ends the helper in end_container instead).
  code=0
  wait "$monitor" || code=$?
  monitor=''
  if [ -z "$start_time" ]; then
    # 125: the binds' opener refused, and said why in its own line.
    [ "$code" = "$EXIT_HELPER" ] || printf 'container-helper: bubblewrap could not start the container (its message is above)\n' >&2
    code=$EXIT_HELPER
  elif [ "$running" = 0 ]; then
    # bwrap exits 1 when its exec of COMMAND fails (its message is above): then say why, with Docker's code.
    reason=0
    [ "$code" != 1 ] || [ "$with_init" = 1 ] || explain_exec_failure "$command_given" || reason=$?
    case "$reason" in
      "$EXIT_NOEXEC"|"$EXIT_NOTFOUND") code=$reason ;;
      *) [ -z "$status_file" ] || printf '%s}\n' "$record" >&3 ;;
    esac
  fi
  finish
}

finish() {
  stop_network
  oom=''
  if [ -n "$cgroup_dirs" ]; then
    read_oom_kills
    if [ "$oom_kills" != 0 ]; then
      oom=',"oom":true'
      [ -z "$memory_limit" ] || oom="$oom,\"memoryLimit\":$memory_limit"
      printf 'container-helper: killed: out of memory%s\n' "${memory_limit:+, limit $((memory_limit / 1048576)) MiB}" >&2
    fi
    kill_cgroup "$cgroup_dirs"
    remove_cgroup
  fi
  rm -f -- "$control" "$release" ${pending:+"$pending"} ${start_time:+"$registry/$init_pid-$start_time.json"}
  [ -z "$status_file" ] || printf '{"event":"exited","code":%s%s}\n' "$code" "$oom" >&3
  exit "$code"
}

# HUP, INT or TERM to the helper. PID 1 first, while it is still bwrap's child: bwrap reaps it and exits, so no
# zombie is left to the host's init; it is signalled through the descriptor held on it (fd 7), so never a process
# that took its number. Else bwrap's monitor, while it is this shell's unreaped child (its number cannot be
# taken then), whose death takes PID 1 with it (--die-with-parent).
end_container() {
  if [ -n "$monitor" ]; then
    if [ "$pinned" = 0 ] && read_stat "$monitor" && [ "$stat_ppid" = $$ ]; then
      # Not pinned yet: bwrap's sandbox child, if it has one, may still wait for its release (and would outlive
      # the monitor): the monitor's child, pinned then checked, is the one.
      child=''
      read -r child _ 2>/dev/null < "/proc/$monitor/task/$monitor/children" || true
      if [ -n "$child" ] && pin_process "$child" && read_stat self/fd/7 && [ "$stat_ppid" = "$monitor" ]; then
        pinned=1
      fi
    fi
    if [ "$pinned" = 1 ] && read_stat self/fd/7 && [ "$stat_ppid" = "$monitor" ] && signal_pinned KILL; then
      :
    elif read_stat "$monitor" && [ "$stat_ppid" = $$ ]; then
      kill -KILL "$monitor" 2>/dev/null || true
    fi
    wait "$monitor" 2>/dev/null || true
  fi
  code=137
  finish
}
