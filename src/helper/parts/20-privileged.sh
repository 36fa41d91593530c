
# --- PRIVILEGED OPERATIONS ------------------------------------------------------------------------------------
# Everything root does for a DELEGATED caller (a user running this helper through sudo or pkexec) is one of the
# functions below. Each says who asks for it (ASKED BY) and why the caller cannot turn it against the host (SAFE).
# The caller is untrusted: every value reaching these functions was validated by the entry or the options table,
# and every path they touch lies in a folder only root can write ($RUN/UID, $RUN/containers, $STORE), except the
# caller's terminal, which is theirs. The same functions run rootless (as the user, for the user) and for root's
# own calls; the comments are about the delegated case, the only one where a privilege boundary is crossed.
# The container itself is started in 40-start.sh (start_bwrap: capsh, then bwrap, as root) from one argv that
# build_bwrap_args makes of validated values only, COMMAND after "--"; what each option adds to it, and whether a
# delegated caller may give it, is the table in 30-options.sh.

# ASKED BY: sudo and pkexec, which pass the caller's resource limits (prlimit, ulimit) on to us.
# SAFE: root's own limits become init's (PID 1's), for the limits the shell can set: the caller can then neither
# kill the helper half-way (SIGXFSZ on a file size of 0, SIGXCPU) nor starve it of descriptors, stack or memory,
# and the container inherits init's limits, as a service would, not the caller's. A hard limit the caller lowered
# can be raised again only with CAP_SYS_RESOURCE; where root lacks it (a confined root, as in some CI sandboxes),
# that hard limit stays and the soft one goes up to it; SIGXFSZ and SIGXCPU are ignored, so a write past the limit
# fails (and the helper says so, exit 125) instead of killing it.
reset_limits() {
  trap '' XFSZ XCPU
  while IFS= read -r line; do
    case "$line" in
      'Max cpu time '*) flag=-t unit=1 ;;
      'Max file size '*) flag=-f unit=512 ;;
      'Max data size '*) flag=-d unit=1024 ;;
      'Max stack size '*) flag=-s unit=1024 ;;
      'Max core file size '*) flag=-c unit=512 ;;
      'Max resident set '*) flag=-m unit=1024 ;;
      'Max processes '*) flag=-p unit=1 ;;
      'Max open files '*) flag=-n unit=1 ;;
      'Max locked memory '*) flag=-l unit=1024 ;;
      'Max address space '*) flag=-v unit=1024 ;;
      'Max file locks '*) flag=-w unit=1 ;;
      *) continue ;;
    esac
    # The name takes 25 columns, then the soft and hard limits.
    set -f
    # shellcheck disable=SC2086 # two numbers (or "unlimited") and a unit, split on purpose
    set -- ${line#?????????????????????????}
    set +f
    soft=$1 hard=$2
    [ "$soft" = unlimited ] || soft=$((soft / unit))
    [ "$hard" = unlimited ] || hard=$((hard / unit))
    # -H and -S are not POSIX, but every sh this runs under has them (dash, bash, busybox ash). The hard limit
    # first; lowering it below the current soft one needs the soft one lowered first; raising it may be refused.
    # shellcheck disable=SC3045
    if ! ulimit -H "$flag" "$hard" 2>/dev/null; then
      # shellcheck disable=SC3045
      { ulimit -S "$flag" "$soft" 2>/dev/null && ulimit -H "$flag" "$hard" 2>/dev/null; } || hard=$(ulimit -H "$flag")
    fi
    # Best effort: a shell without one of these limits (busybox has no -w) leaves it as it is.
    # shellcheck disable=SC3045
    ulimit -S "$flag" "$soft" 2>/dev/null || ulimit -S "$flag" "$hard" 2>/dev/null || true
  done < /proc/1/limits
}

# ASKED BY: `start --rootfs DIR`, delegated, before anything resolves DIR.
# SAFE: DIR is only text here: it must read $STORE/NAME. Nothing is looked up, so no answer (exists, is a file,
# where a link points) tells the caller anything about a path outside the store.
require_store_text() {
  entry=${1#"$STORE"/}
  entry=${entry%/}
  case "$1" in
    "$STORE"/*) valid_name "$entry" && return 0 ;;
  esac
  die "under sudo or pkexec the rootfs must be in $STORE (given as $STORE/NAME; ask root to run 'container-helper.sh make-rootfs --name NAME'), or start a rootless shell with no password"
}

# ASKED BY: `start`, delegated, once the rootfs is resolved.
# SAFE: the rootfs must be $STORE/NAME itself, and every folder from / to it root's and writable by nobody else,
# the store's top 0700; the same for this helper's own folder and its seccomp filter. Then no path root uses below
# can be changed by the caller, nothing planted in the store can be run by the caller on the host, and the filter
# is the one root installed. One process (stat), delegated only.
require_store_owners() {
  case "$rootfs" in "$STORE"/*) ;; *) die "the rootfs resolves outside $STORE: $rootfs" ;; esac
  entry=${rootfs#"$STORE"/}
  valid_name "$entry" || die "a rootfs in $STORE must be a folder directly inside it: $rootfs"
  top=${STORE%/*}
  owners=$(stat -c '%u %a %n' -- / /var /var/lib "$top" "$STORE" "$rootfs" "$self_dir" "$self_dir/seccomp.bpf") ||
    die "cannot read the owners of $rootfs"
  while read -r owner perms path; do
    [ "$owner" = 0 ] || die "$path is not owned by root: refusing a privileged container on $rootfs"
    case "$perms" in *[2367]?|*[2367]) die "$path is writable by group or others: refusing a privileged container on $rootfs" ;; esac
    [ "$path" != "$top" ] || [ "$perms" = 700 ] || die "$top must be mode 0700 (only root may enter it), not $perms"
  done <<EOF
$owners
EOF
}

# ASKED BY: every subcommand, for this mode's folders: registry (records) and rundir (status files, FIFOs, notes).
# SAFE: delegated, both are root's folders, made 0755 whatever the caller's umask, before anything forks; the
# caller can create nothing in them. Rootless, they are the user's own (XDG_RUNTIME_DIR when it is theirs).
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

# ASKED BY: `start`: fd 3 on the new status file $1, created with O_EXCL (noclobber: never through a link), from
# inside its folder; the name is never opened again.
# SAFE: delegated, $1 is always $RUN/UID/NAME.status (NAME validated), in root's folder: --status-file is refused.
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

# ASKED BY: `start`, delegated: the status file and control FIFO, once the container runs, become the caller's.
# SAFE: both were created by root a moment ago in root's folder $RUN/UID (O_EXCL, mkfifo), where the caller can
# create, rename or replace nothing: chown acts on root's own new files.
give_to_caller() {
  chown -- "$caller" "$control" "$status_file" || die "cannot give $control to uid $caller"
}

# ASKED BY: the control channel, for each request of the caller: answer $1 (its id), $2 (true or false), $3 (the
# error, one line of the helper's).
# SAFE: what root writes into the caller's status file is bounded: an error is cut to 160 bytes (a refused value
# is repeated, and a request line is as long as the caller likes), at most 1000 answers per container, then one
# last answer that says so and the channel answers no more. Five requests can no longer make a megabyte.
answers=0
respond() {
  [ -n "$status_file" ] || return 0
  answers=$((answers + 1))
  [ "$answers" -le 1001 ] || return 0
  if [ "$answers" = 1001 ]; then
    printf '{"event":"signal","id":%s,"ok":false,"error":"too many requests: this channel answers no more"}\n' "$1" >&3
  elif [ "$2" = true ]; then
    printf '{"event":"signal","id":%s,"ok":true}\n' "$1" >&3
  else
    error=$(printf '%.160s' "$3" | tr -d '[:cntrl:]')
    json_string "$error"
    printf '{"event":"signal","id":%s,"ok":false,"error":%s}\n' "$1" "$json" >&3
  fi
}

# ASKED BY: `start` (its own PID 1), `kill` (a container's PID 1), the next start (an orphan of a dead helper).
# SAFE: holds process $1 by a descriptor (fd 7, /proc/$1 opened as a directory) BEFORE it is checked; the checks
# then read the process through that descriptor, and the signal goes through it too (signal_pinned). If the
# process ends and its PID is taken by another one meanwhile, the checks fail and the signal reaches nobody.
pin_process() {
  { command exec 7< "/proc/$1"; } 2>/dev/null
}

# ASKED BY: as pin_process, once the pinned process passed its checks. $1: a signal name.
# SAFE: pidfd_send_signal(2) (424 on every architecture) on descriptor 7 signals exactly the process pinned and
# checked, or fails with ESRCH when it has ended: never a process that took its PID. perl runs in taint mode
# (-T: PERL5LIB and PERL5OPT ignored), from the helper's own PATH, with a constant program.
signal_pinned() {
  signal_number "$1" || return 1
  # shellcheck disable=SC2016 # perl's variables, not the shell's
  perl -T -e '($ARGV[0] // q()) =~ /^([0-9]+)$/ or exit 2; syscall(424, 7, $1 + 0, 0, 0) == 0 or exit 1' "$number"
}

# ASKED BY: the cleanup of a dead helper's container (end_orphans_of, prune_records), once its PID 1 is pinned.
# SAFE: SIGKILLs the process held by fd 7, through it, only when it is PID 1 of a PID namespace of its own (its
# NSpid chain, read through the same descriptor, ends in 1); fails, signalling nothing, otherwise.
kill_pinned_init() {
  chain=$(ns_pids self/fd/7) || return 1
  case " $chain" in *" "*" 1") signal_pinned KILL || true ;; *) return 1 ;; esac
}

# ASKED BY: `kill` and the control channel, for a process $3 (start time $4) of container $1 (start time $2) that
# is not its PID 1; $5 the signal, $6 --user when the container has a user namespace, $7 its NSpid chain inside.
# SAFE: the signal is sent from inside the container's PID namespace, where no host process has a number; there,
# in a private mount namespace, a proc mounted for the purpose must show PID 1 with the container's start time
# (so a reused PID 1 number, which would enter another namespace, is refused) and the number must name a process
# with the same start time and NSpid chain. The script is a constant; the values reach it as arguments. Root's
# descriptor on PID 1 (fd 7) is closed for it.
signal_inside() {
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
  credentials=''
  # Rootless: bwrap denies setgroups in the user namespace, so credentials are kept as they are.
  [ -z "$6" ] || credentials=--preserve-credentials
  nsenter --target "$1" ${6:+"$6"} ${credentials:+"$credentials"} --pid -- unshare --mount --propagation private --fork -- \
    /bin/sh -c "$script" signal "${7%% *}" "$4" "$7" "$5" "$2" "$3" 7<&-
}

# ASKED BY: the next start of the same caller, for a helper that died (SIGKILLed, or out of memory) before it
# could record its container: its note $RUN/UID/HELPER.pending says the helper's start time (line 1) and, once
# bwrap reported it, its PID 1 and that PID 1's start time (line 2).
# SAFE: only a process the dead helper itself started is ended: the PID 1 its note names, pinned, with that very
# start time, now orphaned (its parent is gone) and PID 1 of its own namespace; or, when the note names none
# (the helper died before bwrap reported it), a bwrap of the helper's uid orphaned since, PID 1 of its namespace, whose
# command line still carries the mark MC_HELPER_<that helper's PID>_ that only that helper gave bwrap (a sandbox
# still blocked before COMMAND). Never a process by its rootfs, which another's sandbox may share.
end_orphans_of() {
  owner=$1 since=$2 named=$3 bwrap_uid=$caller
  [ "$mode" = rootless ] || bwrap_uid=0
  if [ -n "$named" ]; then
    pid=${named% *} start=${named#* }
    # The helper is gone, so bwrap's monitor too (its parent-death signal is armed before it reports PID 1).
    if pin_process "$pid" && read_stat self/fd/7 && [ "$stat_start" = "$start" ] && [ "$stat_state" != Z ]; then
      kill_pinned_init || true
    fi
    exec 7<&-
    return 0
  fi
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    { read_stat "$pid" && [ "$stat_ppid" = 1 ] && [ "$stat_start" -ge "$since" ] && [ "$stat_comm" = bwrap ]; } 2>/dev/null || continue
    grep -qsF -e "MC_HELPER_${owner}_" "$dir/cmdline" || continue
    pin_process "$pid" || continue
    if read_stat self/fd/7 && [ "$stat_start" -ge "$since" ] && read_uids self/fd/7 && [ "$real_uid" = "$bwrap_uid" ]; then
      kill_pinned_init || true
    fi
    exec 7<&-
  done
}

# ASKED BY: every start, for the records of this mode's registry whose container is gone.
# SAFE: a record is removed only when its PID 1 has ended; a PID 1 whose helper is gone (it died before arming the
# parent-death signal) is ended only when pinned, with the record's start time, and PID 1 of its own namespace.
prune_records() {
  for record in "$registry"/*.json; do
    [ -f "$record" ] || continue
    id=${record##*/}
    id=${id%.json}
    case "$id" in *[!0-9-]*|-*|*-|*-*-*) rm -f -- "$record"; continue ;; esac
    if pin_process "${id%-*}" && read_stat self/fd/7 && [ "$stat_start" = "${id#*-}" ] && [ "$stat_state" != Z ]; then
      IFS= read -r line 2>/dev/null < "$record" || { exec 7<&-; continue; }
      helper=${line##*\"helperPid\":}
      helper=${helper%%[!0-9]*}
      if [ -z "$helper" ] || kill -0 "$helper" 2>/dev/null || [ "$stat_ppid" = "$helper" ]; then exec 7<&-; continue; fi
      kill_pinned_init || { exec 7<&-; continue; }
    fi
    exec 7<&-
    rm -f -- "$record"
  done
}

# ASKED BY: start_bwrap, once PID 1 runs: the "started" record, in this mode's registry, named by PID 1's identity.
# SAFE: delegated, the registry is root's folder $RUN/containers; the record's values were validated (rootfs
# without control characters, NAME, the network's name, HOSTPORT:PORT numbers), its file name is two numbers; its "uid" says whom it was started for, which
# `kill` and the control channel check.
write_record() {
  json_string "$rootfs"
  published=''
  for map in $publish; do published="${published:+$published,}\"$map\""; done
  record="{\"event\":\"started\",\"initPid\":$init_pid,\"startTime\":$start_time,\"rootfs\":$json,\"name\":\"$name\",\"hostname\":\"$host_name\",\"mode\":\"$mode\",\"network\":\"$network\",\"publish\":[$published],\"control\":\"$control\",\"helperPid\":$$"
  [ "$ephemeral" = 0 ] || record="$record,\"ephemeral\":true"
  [ -z "$cgroup_path" ] || record="$record,\"cgroup\":\"$cgroup_path\""
  printf '%s,"uid":%s}\n' "$record" "$caller" > "$registry/$init_pid-$start_time.json" \
    || printf 'container-helper: warning: cannot write %s; the container runs unnamed\n' "$registry" >&2
}

# ASKED BY: `start --network private` as root (delegated or root's own call), while PID 1 waits before COMMAND.
# SAFE: slirp4netns, from the helper's own PATH, joins only the network namespace of the container's PID 1 (pinned
# and checked by start_bwrap; that namespace was made by bwrap for this container) and gives it tap0 on 10.0.2.0/24;
# it runs in its own sandbox (--enable-sandbox: a new mount namespace with nothing of the host but what it needs,
# capabilities dropped; --enable-seccomp). Delegated, --disable-host-loopback: 10.0.2.2 does not reach the host's
# loopback, where root's services trust local peers. Every file is in this mode's run folder (delegated, root's
# $RUN/UID), named after this helper: the FIFOs it reports ready on and exits by, its log and its API socket. It
# ends when its exit FIFO has no writer left: this shell holds the only write end (fd 8; no process forked before
# holds it, and those forked after are short-lived or close it), so the helper's end, even by SIGKILL, ends it.
# The caller chooses only the ports, validated numbers (publish_slirp).
start_slirp() {
  net_ready=$rundir/$$.netready net_exit_fifo=$rundir/$$.netexit net_api=$rundir/$$.netapi net_log=$rundir/$$.netlog
  rm -f -- "$net_ready" "$net_exit_fifo" "$net_api" "$net_log"
  mkfifo -m 600 -- "$net_ready" "$net_exit_fifo" || { net_error="cannot create the FIFOs $net_ready and $net_exit_fifo"; return 1; }
  exec 8<> "$net_exit_fifo"
  net_exit=8
  set -- --configure --mtu=65520 --ready-fd 4 --exit-fd 9 --api-socket "$net_api" --enable-sandbox --enable-seccomp
  [ "$delegated" = 0 ] || set -- "$@" --disable-host-loopback
  "$net_tool" "$@" "$init_pid" tap0 < /dev/null > /dev/null 2> "$net_log" 4> "$net_ready" 9< "$net_exit_fifo" \
    3>&- 5>&- 6<&- 7<&- 8>&- &
  net_process=$!
  ready=''
  read -r ready < "$net_ready" || true
  if [ "$ready" != 1 ]; then
    net_error="slirp4netns could not attach to the container's network: $(last_line "$net_log")"
    return 1
  fi
  [ -z "$publish" ] || publish_slirp
}

# Sends, through slirp4netns's API socket, one add_hostfwd per --publish: tcp, the host's 127.0.0.1:HOSTPORT to
# PORT inside. A constant program (perl -T, IO::Socket::UNIX from perl-base); the values reach it as arguments and
# are checked there again as numbers. At most 5 s.
# shellcheck disable=SC2016 # perl's variables, not the shell's
readonly SLIRP_PUBLISH='$ARGV[0] =~ m{^(/[^\0]+)$} or exit 2; my $path = $1;
alarm 5;
for (@ARGV[1 .. $#ARGV]) {
  /^([0-9]+):([0-9]+)$/ or exit 2; my ($h, $g) = ($1 + 0, $2 + 0);
  my $s = IO::Socket::UNIX->new(Peer => $path) or die "cannot reach slirp4netns: $!\n";
  print $s qq({"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":$h,"guest_port":$g}});
  shutdown($s, 1);
  my $answer = join "", <$s>;
  $answer =~ /"return"/ or die "127.0.0.1:$h cannot be published (in use?)\n";
}'

# ASKED BY: start_slirp, for the caller's --publish values (each HOSTPORT:PORT, 1..65535; delegated, HOSTPORT 1024
# or above, so root binds for the caller no port only root may take; at most 32).
# SAFE: only 127.0.0.1 on the host is bound, by slirp4netns, for this container's life; the socket is root's, in
# root's folder; the program is a constant.
publish_slirp() {
  # shellcheck disable=SC2086 # HOSTPORT:PORT words, split on purpose
  if ! answer=$(perl -T -MIO::Socket::UNIX -e "$SLIRP_PUBLISH" "$net_api" $publish 2>&1 < /dev/null 3>&- 5>&- 6<&- 7<&- 8>&-); then
    net_error="--publish: $(printf '%.200s' "$answer" | tr -d '[:cntrl:]')"
    return 1
  fi
}

# ASKED BY: every start.
# SAFE: only this mode's run folder (delegated, root's $RUN/UID, where the caller can create nothing) is read;
# files are removed there by name only, never followed; a note's container is ended only by end_orphans_of.
# Files in this mode's run folder whose helper is gone (SIGKILLed, or ended delegated, where the status file
# must outlive it for the extension to read): PID.pending notes (whose container, if any, end_orphans_of ends),
# PID.control, PID.release and PID.net* (the user-mode network's FIFOs, socket, log) of a dead helper; NAME.status and NAME.control whose status file's first line names a dead helper.
prune_rundir() {
  for file in "$rundir"/*.pending; do
    [ -f "$file" ] || continue
    owner=${file##*/}
    owner=${owner%.pending}
    case "$owner" in ''|*[!0-9]*) continue ;; esac
    { [ "$owner" = $$ ] || kill -0 "$owner" 2>/dev/null; } && continue
    since='' named=''
    { IFS= read -r since && { IFS= read -r named || true; }; } < "$file" || true
    case "$since" in ''|*[!0-9]*) rm -f -- "$file"; continue ;; esac
    case "$named" in [1-9]*' '[0-9]*) case "$named" in *[!0-9\ ]*|*' '*' '*) named='' ;; esac ;; *) named='' ;; esac
    end_orphans_of "$owner" "$since" "$named"
    rm -f -- "$file"
  done
  for file in "$rundir"/*.control "$rundir"/*.status "$rundir"/*.release "$rundir"/*.net*; do
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

# ASKED BY: `start`, after bwrap's exec of COMMAND ($1) failed, or when PID 1 ended with bwrap's failure code (1)
# before it was seen running COMMAND: why, in one line, with 127 or 126 (0 when COMMAND is there and executable:
# then it ran, or bwrap's own message above says why it could not).
# SAFE: the kernel resolves COMMAND, never this script: check_command, a constant, runs in a new sandbox on the
# same rootfs (delegated, the root-owned store rootfs checked before), as the host's static busybox bound
# read-only, with no capability but DAC_OVERRIDE (as the container's root has), no network, no descriptor of ours;
# COMMAND reaches it as an argument. It only tests paths and prints one line.
explain_exec_failure() {
  [ -x "$STATIC_INIT" ] || return 0
  # shellcheck disable=SC2016 # "$1" is the sandbox shell's
  set -- --unshare-pid --unshare-ipc --unshare-uts --unshare-net --die-with-parent --bind "$rootfs" / --proc /proc \
    --dev /dev --ro-bind "$STATIC_INIT" "/dev/$INIT_NAME" --cap-drop ALL --cap-add CAP_DAC_OVERRIDE --clearenv \
    --setenv PATH "$SAFE_PATH" -- "/dev/$INIT_NAME" sh -c "$CHECK_SCRIPT"'check_command "$1"' check "$1"
  [ "$mode" = privileged ] || set -- --unshare-user --uid 0 --gid 0 "$@"
  "$bwrap" "$@" 7<&- 9<&- < /dev/null
}

# ASKED BY: `start --ephemeral` (each start; in every mode, so one code path mounts), run in place of bwrap by
# unshare, in a new mount namespace (rootless, in a new user namespace too): bash -c "$OVERLAY_SCRIPT" overlay DIR
# XATTR COMMAND..., DIR the resolved rootfs, XATTR a constant of start_bwrap's ("" or ",userxattr": in a user
# namespace overlayfs can keep its whiteouts and opaque marks only in user.* attributes, which tmpfs has since Linux
# 6.6; without it, replacing a file by a folder fails with EIO), COMMAND the chain that ends in bwrap, whose argv
# binds DIR/merged as /.
# SAFE: every mount is made in that new, private mount namespace, which only this chain and then bwrap's monitor
# hold: nothing reaches the host's mount table, and when the container ends (even when the helper is SIGKILLed:
# bwrap's --die-with-parent) the namespace, its tmpfs and the upper layer in it are freed by the kernel; nothing is
# created on the host's disk. DIR is held by a descriptor (bash's {lower}: the lowest free one from 10, so never
# one that is open already, as the binds' and bwrap's are), then hidden under a fresh tmpfs (mode 0700, at most half
# of the memory, so a container cannot take it all) in which root makes the upper and work folders and the merged
# mount point, by relative names from inside it: no path the caller could have written is walked after DIR was
# opened, and DIR's name never enters the mount options (a comma or colon in it cannot add an option). The lower
# layer is that descriptor (/proc/self/fd/N): overlayfs never writes a lower layer, so DIR is unchanged, byte for
# byte. Delegated, DIR is $STORE/NAME, checked root's (require_store_owners), as for any start. The script is a
# constant run by bash (for {lower}); DIR reaches it as an argument; the descriptor is closed before bwrap runs.
# shellcheck disable=SC2016 # expanded by the overlay shell, not here
readonly OVERLAY_SCRIPT='set -eu
fail() { printf "container-helper: --ephemeral: %s\n" "$1" >&2; exit 125; }
exec {lower}< "$1" || fail "cannot open the rootfs"
mount -t tmpfs -o mode=0700,size=50%,nosuid,nodev mc-ephemeral "$1" || fail "cannot mount the tmpfs of the upper layer"
cd "$1"
mkdir upper work merged
chmod --reference="/proc/self/fd/$lower" upper
chown --reference="/proc/self/fd/$lower" upper 2>/dev/null || :
mount -t overlay -o "lowerdir=/proc/self/fd/$lower,upperdir=upper,workdir=work$2" mc-ephemeral merged ||
  fail "the kernel refused an overlay mount here (overlayfs in a user namespace needs Linux 5.11 or later)"
exec {lower}<&-
cd /
shift 2
exec "$@"'

# ASKED BY: `make-rootfs --name NAME` (what "Create BusyBox Root Filesystem" runs delegated).
# SAFE: the content is fixed (the host's static busybox and three files), the caller chooses only NAME (validated,
# one that is not taken); built beside its place in root's store, where nothing is the caller's, and renamed into
# place only if nothing took the name meanwhile; removed on any failure. The caller can fill the disk by about
# 2 MB per name.
make_store_rootfs() {
  top=${STORE%/*}
  mkdir -p -- "$STORE"
  chmod 0700 -- "$top"
  target=$STORE/$1
  { [ ! -e "$target" ] && [ ! -L "$target" ]; } || die "$target already exists"
  work=$STORE/.new-$1-$$
  mkdir -m 0755 -- "$work"
  if ! build_busybox_rootfs "$work" "$1" || ! mv -T -n -- "$work" "$target" || [ -e "$work" ]; then
    rm -rf -- "$work"
    die "could not create $target (it exists, or the store is full)"
  fi
  printf '%s\n' "$target"
}

# ASKED BY: `start --bind SRC[:DEST][:ro]` (each bind; in every mode, so one code path binds), run in place of
# bwrap: perl -T -e "$OPEN_BINDS" -- DELEGATED CALLER COUNT COMMAND... [rw|ro SRC DEST]... (COUNT triples, last),
# where COMMAND is the chain that ends in bwrap, whose argv holds the word --mc-binds where the binds go.
# SAFE: each SRC is resolved ONCE, by root, to a descriptor (O_PATH, following links: nothing is opened for I/O, so
# a FIFO cannot block it and no device's open runs); bwrap binds that descriptor (--bind-fd / --ro-bind-fd, the
# mount's source is /proc/self/fd/N), never the path again, and closes it before COMMAND. Only a folder or a
# regular file is bound. Delegated, before bwrap runs, a child of this perl becomes the caller (groups, gid, uid:
# setuid(2) in place, no exec, so the kernel marks it non-dumpable and the caller can neither ptrace it nor open
# its /proc/PID/fd) and checks, for every bind: (a) its own walk of SRC, with the caller's rights, lands on the
# descriptor's device and inode (a SRC swapped before root's open fails here; after it, it changes nothing bound);
# (b) the caller may read the descriptor's inode (access(2) on /proc/self/fd/N), and search it if a folder;
# (c) a folder is the caller's own: a bound folder exposes its whole subtree to the container's root (host uid 0),
# whose rights do not stop at the modes of what lies beneath. The binds are read-only (the options refuse
# others: a setuid-root file written there would be root's on the host), and each DEST's first folder is a fresh
# tmpfs (build_bwrap_args), so every mount point bwrap creates as root lies in it, never through a link that the
# rootfs (written by an earlier container's root) holds. The word --mc-binds is replaced only at its first place:
# before it, bwrap's argv holds only constants and the resolved rootfs (absolute); DESTs were validated.
# O_PATH is 010000000 on x86 and arm64, the only architectures the seccomp filter knows.
# shellcheck disable=SC2016 # perl's variables, not the shell's
# No module is loaded but where the delegated check needs POSIX: perl starts in a few ms, POSIX alone costs tens.
# F_SETFD is 2, S_IFMT 0170000, S_IFDIR 0040000, S_IFREG 0100000 (asm-generic, x86 and arm64 alike).
readonly OPEN_BINDS='use strict;
$ENV{PATH} = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
delete @ENV{qw(IFS CDPATH ENV BASH_ENV)};
sub fail { print STDERR "container-helper: $_[0]\n"; exit 125 }
sub clean { $_[0] =~ /^(.*)$/s; return $1 }
my ($delegated, $caller, $count) = map { /^([0-9]+)$/ ? $1 : fail("open-binds: not a number: $_") } splice(@ARGV, 0, 3);
($count >= 1 && @ARGV > 3 * $count) or fail("open-binds: $count binds expected");
my @triples = splice(@ARGV, -3 * $count);
my @binds;
while (@triples) {
  my ($access, $src, $dest) = map { clean($_) } splice(@triples, 0, 3);
  my $fh;
  sysopen($fh, $src, 010000000) or fail($delegated ? "--bind $src does not exist or you cannot reach it" : "--bind $src cannot be opened: $!");
  my @st = stat($fh) or fail("--bind $src cannot be read: $!");
  my $type = $st[2] & 0170000;
  $type == 0040000 || $type == 0100000 or fail("--bind $src is neither a folder nor a regular file");
  fcntl($fh, 2, 0) or fail("--bind $src: $!");
  push @binds, { access => $access, src => $src, dest => $dest, fh => $fh, fd => fileno($fh), dev => $st[0], ino => $st[1], dir => $type == 0040000, uid => $st[4] };
}
if ($delegated) {
  my $pid = fork() // fail("cannot fork: $!");
  if ($pid == 0) {
    require POSIX;
    my @pw = getpwuid($caller) or fail("uid $caller has no user account");
    my ($user, $gid) = (clean($pw[0]), clean($pw[3]));
    my @groups = ($gid);
    setgrent();
    while (my @gr = getgrent()) { push @groups, clean($gr[2]) if grep { $_ eq $user } split(/ /, $gr[3]) }
    endgrent();
    $) = join(" ", $gid, @groups);
    POSIX::setgid($gid) or fail("cannot become gid $gid: $!");
    POSIX::setuid($caller) or fail("cannot become uid $caller: $!");
    ($< == $caller && $> == $caller && $( == $gid) or fail("cannot become uid $caller");
    for my $b (@binds) {
      my ($src, $fd) = ($b->{src}, $b->{fd});
      my @mine = stat($src);
      (@mine && $mine[0] == $b->{dev} && $mine[1] == $b->{ino}) or fail("--bind $src does not exist or you cannot reach it");
      POSIX::access("/proc/self/fd/$fd", POSIX::R_OK()) or fail("--bind $src: you cannot read it");
      if ($b->{dir}) {
        POSIX::access("/proc/self/fd/$fd", POSIX::X_OK()) or fail("--bind $src: you cannot enter it");
        $b->{uid} == $caller or fail("--bind $src is a folder you do not own: under sudo or pkexec only your own folders can be bound (the container'"'"'s root could read all that lies beneath)");
      }
      $b->{access} eq "ro" or POSIX::access("/proc/self/fd/$fd", POSIX::W_OK()) or fail("--bind $src: you cannot write it");
    }
    exit 0;
  }
  waitpid($pid, 0) == $pid or fail("cannot wait for the check of the binds");
  $? == 0 or exit 125;
}
my @words = map { ($_->{access} eq "ro" ? "--ro-bind-fd" : "--bind-fd", $_->{fd}, $_->{dest}) } @binds;
my ($at) = grep { $ARGV[$_] eq "--mc-binds" } 0 .. $#ARGV;
defined $at or fail("open-binds: no place for the binds");
splice(@ARGV, $at, 1, @words);
@ARGV = map { clean($_) } @ARGV;
exec { $ARGV[0] } @ARGV or fail("cannot run $ARGV[0]: $!");'

# ASKED BY: `exec`, delegated, before its program reads the seccomp filter beside this script.
# SAFE: the helper's folder and the filter must be root's and writable by nobody else, as `start` requires of
# them: the filter the caller's new process gets is the one root installed, the one its container runs under.
require_exec_owners() {
  owners=$(stat -c '%u %a %n' -- "$self_dir" "$self_dir/seccomp.bpf") || die "cannot read the owner of $self_dir/seccomp.bpf"
  while read -r owner perms path; do
    [ "$owner" = 0 ] || die "$path is not owned by root: refusing to enter a container"
    case "$perms" in *[2367]?|*[2367]) die "$path is writable by group or others: refusing to enter a container" ;; esac
  done <<EOT
$owners
EOT
}

# ASKED BY: `exec --container PID1 --container-start-time T1 [--workdir DIR] [COMMAND...]`: a new process in that
# container, on the caller's terminal. $1 the machine (uname -m), $2 T1, $3 the seccomp filter ('' for none), $4 DIR,
# $5 TERM, then COMMAND.
# SAFE: delegated, PID 1 was pinned (fd 7) before any check, has a record of this helper made for this very caller
# (require_record: never a container started by hand, nor another user's, nor the host's PID 1, which has no
# record and no PID namespace of its own), and the filter is root's. EXEC_PROGRAM (45-exec.sh), a constant run by
# perl -T (PERL5LIB, PERL5OPT ignored) from the helper's PATH, reads every namespace, the root, the capability sets,
# the ids, no_new_privs and the seccomp mode of that pinned process through fd 7, checks its start time once more,
# and gives the new process exactly those: never more than the container's own PID 1 has (a filter the helper did
# not install is refused, not skipped). The new process is forked after setns(pid), so it is a process of the
# container's PID namespace and never its PID 1; it keeps only descriptors 0-2 (the caller's terminal: fd 7 and
# any leaked one are closed before it is made), an environment of four constant or validated values, the helper's
# umask and init's resource limits (reset_limits). COMMAND is looked up by execvp inside the container's root,
# after chroot, with the seccomp filter already loaded. Until its capabilities are dropped, the new process holds
# more than the container's processes, so none of them may ptrace it; it holds no descriptor of the host by then.
enter_pinned() {
  # shellcheck disable=SC2016 # perl's, not the shell's
  exec perl -T -e "$EXEC_PROGRAM" -- "$@"
}

# --- cgroups: one group per container, its limits, its end ---------------------------------------------------------
# A container's group is G = HELPER-T (this helper's PID and its start time: no other helper, alive or dead, has
# both), made in PARENT = mini-containers at the top of each hierarchy (v2: one, /sys/fs/cgroup; v1 and hybrid: one
# per controller used: memory, pids, cpu, cpuacct, freezer, a combined mount once) when this helper runs as root,
# and for a rootless caller in mini-containers/user-UID, only where root made that folder theirs (a delegated
# subtree); otherwise there is no group, and the container starts without one (a limit asked for is refused).
# Everything in G is the container: the chain that ends in bwrap enters G before it runs (CGROUP_ENTER), so
# bwrap's monitor and every process of the container are in it, and nothing else is: only root (or, rootless, the
# user) can write G's cgroup.procs, and nothing inside sees /sys/fs/cgroup.
readonly CGROUP_ROOT=/sys/fs/cgroup

# ASKED BY: every start, and the pruning of groups. Sets cgroup_version (2 or 1), cgroup_parents (the PARENT
# folders, one per line) and, when there is none, cgroup_why (one sentence: why, and how to get one).
# SAFE: only reads (and, as root, makes PARENT in root's own cgroup filesystem, which only root can write); a
# rootless caller's PARENT must be a folder of theirs, not a link, under root's mini-containers.
find_cgroup_parents() {
  cgroup_parents='' cgroup_why='' cgroup_base=/mini-containers
  [ "$mode" = privileged ] || cgroup_base=/mini-containers/user-$caller
  if [ -f "$CGROUP_ROOT/cgroup.controllers" ]; then
    cgroup_version=2 tops=$CGROUP_ROOT
  else
    cgroup_version=1 tops=''
    # A combined mount (cpu,cpuacct) is reached by two names: each resolved by cd -P in this shell (no fork), once.
    here=$PWD
    for controller in memory pids cpu cpuacct freezer; do
      [ -f "$CGROUP_ROOT/$controller/cgroup.procs" ] || continue
      cd -P -- "$CGROUP_ROOT/$controller" 2>/dev/null || continue
      case "$tops" in *"$PWD
"*) continue ;; esac
      tops="$tops$PWD
"
    done
    cd -- "$here" || die "cannot return to $here"
    [ -n "$tops" ] || { cgroup_why="no cgroup hierarchy is mounted at $CGROUP_ROOT"; return 0; }
  fi
  for top in $tops; do
    if [ "$mode" = privileged ]; then
      parent=$top/mini-containers
      if [ ! -d "$parent" ]; then
        mkdir -- "$parent" 2>/dev/null || [ -d "$parent" ] || { cgroup_why="root cannot create $parent"; cgroup_parents=''; return 0; }
      fi
    else
      parent=$top/mini-containers/user-$caller
      if [ ! -d "$parent" ] || [ -L "$parent" ] || [ ! -O "$parent" ]; then
        cgroup_why="uid $caller has no delegated cgroup subtree ($parent, made by root and owned by you)"
        cgroup_parents=''
        return 0
      fi
    fi
    if [ "$cgroup_version" = 2 ]; then
      # v2 hands a controller down only where each folder above G enables it for its children: the top (systemd
      # does), mini-containers (root), a delegated user-UID (the user, whose folder it is); none holds a process.
      for controller in memory pids cpu; do
        for folder in "$top" "$top/mini-containers" "$parent"; do
          grep -qw "$controller" "$folder/cgroup.subtree_control" 2>/dev/null ||
            printf '+%s\n' "$controller" > "$folder/cgroup.subtree_control" 2>/dev/null || true
        done
      done
    fi
    cgroup_parents="$cgroup_parents$parent
"
  done
}

# ASKED BY: `start`, once the options are read, for the group of this helper's container ($1: G).
# SAFE: G is made in each PARENT (root's, or the rootless caller's own); the limits are validated numbers
# (memory_option, pids_option, cpus_option) written to G's own files: they restrict only the container. A limit the
# caller asked for that cannot be set is refused (125) with the group removed, never silently left out. Sets
# cgroup_dirs (G in each hierarchy, one per line) and cgroup_path (G as /proc/PID/cgroup names it).
make_cgroup() {
  cgroup_dirs=''
  for parent in $cgroup_parents; do
    cgroup_dirs="$cgroup_dirs$parent/$1
"
  done
  # One mkdir for every hierarchy (a process each costs more than the kernel's work).
  # shellcheck disable=SC2086 # one folder per line, no space in them
  if ! mkdir -- $cgroup_dirs 2>/dev/null; then
    remove_cgroup
    cgroup_why="cannot create $1 in $(printf '%s' "$cgroup_parents" | tr '\n' ' ')"
    return 1
  fi
  cgroup_path=$cgroup_base/$1
  set_cgroup_limit memory "$memory_limit" memory.max memory.limit_in_bytes || return 1
  # Swap counts too (else the limit holds only where there is no swap): v2 apart, v1 memory and swap together.
  set_cgroup_limit memory 0 memory.swap.max '' optional || return 1
  set_cgroup_limit memory "$memory_limit" '' memory.memsw.limit_in_bytes optional || return 1
  set_cgroup_limit pids "$pids_limit" pids.max pids.max "$pids_default" || return 1
  if [ -n "$cpu_quota" ]; then
    set_cgroup_limit cpu "$cpu_quota 100000" cpu.max '' || return 1
    set_cgroup_limit cpu 100000 '' cpu.cfs_period_us || return 1
    set_cgroup_limit cpu "$cpu_quota" '' cpu.cfs_quota_us || return 1
  fi
}

# Writes $2 to the file of controller $1 in G ($3 on v2, $4 on v1; '' for none there), when $2 is set. $5
# "optional": a file the kernel does not have is skipped (no swap accounting); else a failure is refused.
set_cgroup_limit() {
  [ -n "$2" ] || return 0
  if [ "$cgroup_version" = 2 ]; then file=$3; else file=$4; fi
  [ -n "$file" ] || return 0
  for dir in $cgroup_dirs; do
    [ -f "$dir/$file" ] || continue
    printf '%s\n' "$2" > "$dir/$file" 2>/dev/null && return 0
    [ "${5:-}" = optional ] && return 0
    remove_cgroup
    die "cannot set $file to $2 in the container's cgroup"
  done
  [ "${5:-}" = optional ] && return 0
  remove_cgroup
  die "this host's cgroups have no $1 controller ($file): the limit cannot be set"
}

# ASKED BY: the end of `start` (the container ended; what is left of it, nothing normally, is killed), and the
# pruning of a dead helper's group. $1: G's folder in each hierarchy, one per line (cgroup_dirs' form).
# SAFE: every process in G is the container's (see above), so all are ended, and nothing else: v2 by cgroup.kill
# (the kernel kills the whole group, no PID is read); v1 the group is frozen first (a frozen process can neither
# exit nor fork, so the PIDs read from cgroup.procs name exactly those processes until the thaw), then each is
# SIGKILLed; without a freezer, read and killed until none is left: a process that exits between the read and the
# kill leaves its PID free for a moment, which this path accepts only where the kernel offers no freezer.
kill_cgroup() {
  for dir in $1; do
    [ -f "$dir/cgroup.procs" ] || continue
    if [ -f "$dir/cgroup.kill" ]; then
      printf '1\n' > "$dir/cgroup.kill" 2>/dev/null || true
      continue
    fi
    group_empty "$dir" && continue
    frozen=''
    for other in $1; do
      if [ -f "$other/freezer.state" ]; then frozen=$other; break; fi
    done
    if [ -n "$frozen" ]; then
      printf 'FROZEN\n' > "$frozen/freezer.state" 2>/dev/null || frozen=''
      tries=0
      while [ -n "$frozen" ] && [ "$(cat "$frozen/freezer.state" 2>/dev/null)" = FREEZING ] && [ "$tries" -lt 200 ]; do
        tries=$((tries + 1))
      done
    fi
    # shellcheck disable=SC2013 # one PID per line
    for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    [ -z "$frozen" ] || printf 'THAWED\n' > "$frozen/freezer.state" 2>/dev/null || true
  done
}

# Whether group folder $1 holds no process (cgroupfs files have no size: the list is read, one line is enough).
group_empty() {
  ! IFS= read -r _ 2>/dev/null < "$1/cgroup.procs"
}

# ASKED BY: as kill_cgroup, once it is done (cgroup_dirs: G's folders). Waits until G is empty, at most about 2 s,
# then removes it in every hierarchy (rmdir: the kernel removes only an empty group, so no process is ever lost).
remove_cgroup() {
  [ -n "${cgroup_dirs:-}" ] || return 0
  existing=''
  for dir in $cgroup_dirs; do
    [ -d "$dir" ] || continue
    existing="$existing $dir"
    tries=0
    while ! group_empty "$dir" && [ "$tries" -lt 200 ]; do
      tries=$((tries + 1))
      sleep 0.01
    done
  done
  # One rmdir for every hierarchy.
  # shellcheck disable=SC2086 # folders this helper named, no space in them
  [ -z "$existing" ] || rmdir -- $existing 2>/dev/null || true
  cgroup_dirs=''
}

# ASKED BY: `start`, when the container has ended: whether the kernel killed one of its processes for memory
# (v2 memory.events, v1 memory.oom_control: "oom_kill N"). Sets oom_kills.
read_oom_kills() {
  oom_kills=0
  for dir in $cgroup_dirs; do
    for file in "$dir/memory.events" "$dir/memory.oom_control"; do
      [ -f "$file" ] || continue
      while read -r key value; do
        [ "$key" != oom_kill ] || oom_kills=$value
      done < "$file"
    done
  done
}

# ASKED BY: every start, for the groups in this mode's PARENT whose helper is gone (SIGKILLed, or out of memory):
# what is still in them is killed, then they are removed.
# SAFE: only folders named HELPER-T (two numbers) are looked at, and one is ended only when no process HELPER
# with start time T exists any more: its helper, the only one that could still use it, is gone. Whatever is in
# it is that dead helper's container (kill_cgroup).
prune_cgroups() {
  for parent in $cgroup_parents; do
    for group in "$parent"/[0-9]*-[0-9]*; do
      [ -d "$group" ] || continue
      id=${group##*/}
      case "$id" in *[!0-9-]*|*-*-*) continue ;; esac
      if read_stat "${id%-*}" && [ "$stat_start" = "${id#*-}" ]; then continue; fi
      dirs=''
      for other in $cgroup_parents; do dirs="$dirs$other/$id
"; done
      kill_cgroup "$dirs"
      saved=${cgroup_dirs:-}
      cgroup_dirs=$dirs
      remove_cgroup
      cgroup_dirs=$saved
    done
  done
}

# ASKED BY: `exec`, for a container this helper started (its record, $1) that has a group: the new process joins
# it, so the container's limits hold for it and the group names every process of the container.
# SAFE: the group is the record's (delegated: root's registry, written by the helper that made it, for this caller:
# require_record), of this helper's form, and PID 1's own (a line of its /proc/PID/cgroup, read through fd 7); only
# this shell's own process is moved ($$, which then execs the program that enters), into a group that restricts
# it. A group that cannot be joined is refused (125): never a new process outside the container's limits.
join_cgroup_of() {
  IFS= read -r line 2>/dev/null < "$1" || return 0
  case "$line" in *'"cgroup":"'*) ;; *) return 0 ;; esac
  group=${line#*\"cgroup\":\"}
  group=${group%%\"*}
  case "$group" in /mini-containers/*[!A-Za-z0-9/_.-]*|*/../*|*/.|*//*) die "the record of container $2 names no group of this helper's" ;; /mini-containers/*) ;; *) return 0 ;; esac
  found=0
  while IFS= read -r entry; do
    case "$entry" in *":$group") found=1 ;; esac
  done < /proc/self/fd/7/cgroup
  [ "$found" = 1 ] || die "container $2 is not in the group its record names: refusing to enter it"
  find_cgroup_parents
  for top in $tops; do
    [ -d "$top$group" ] || continue
    printf '%s\n' "$$" > "$top$group/cgroup.procs" 2>/dev/null || die "cannot join the cgroup of container $2"
  done
}
