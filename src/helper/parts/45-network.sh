
# --- `--network private`: a user-mode network stack attached to the container's network namespace ---------------
# host: the host's network, without CAP_NET_RAW (and never CAP_NET_ADMIN); none: a network namespace with only lo
# (bwrap brings it up); private: the same namespace plus tap0, joined to the host through a user-mode stack that
# the helper attaches to PID 1's namespace while PID 1 is still blocked before COMMAND (start_bwrap), so COMMAND
# starts with the network up. Rootless: pasta (it joins the user namespace that owns the network namespace); as
# root: slirp4netns (20-privileged.sh: pasta run as root drops to nobody, which cannot enter a root-owned
# namespace). Neither outlives the container, even if this helper is SIGKILLed: slirp4netns ends when its exit FIFO
# loses its only writer (this shell), pasta is ended by a watcher that waits on PID 1 (PASTA_WATCH).

# Sets net_tool to the user-mode stack `--network private` needs in this mode, or dies saying how to install it.
# Looked up on the helper's own PATH only, like bwrap; a missing tool is never replaced by another network.
find_network_tool() {
  if [ "$mode" = rootless ]; then
    net_tool=pasta package=passt
  else
    net_tool=slirp4netns package=slirp4netns
  fi
  found='' old_net_ifs=$IFS
  IFS=:
  for dir in $SAFE_PATH; do
    if [ -f "$dir/$net_tool" ] && [ -x "$dir/$net_tool" ]; then found=$dir/$net_tool; break; fi
  done
  IFS=$old_net_ifs
  [ -n "$found" ] || die "--network private needs $net_tool, which is missing: apt-get install $package"
  net_tool=$found
}

# Waits for the container's PID 1 ($1, start time $2) to end, then ends pasta ($3): SIGTERM through a descriptor
# held on it, SIGKILL after 2 s. Both processes are pinned by pidfd_open(2) (434) and checked (PID 1's start time,
# pasta's name: pasta, or the passt.avx2 it may exec) before anything is sent, so a reused PID is never signalled. A constant, run by perl -T.
# shellcheck disable=SC2016 # perl's variables, not the shell's
readonly PASTA_WATCH='my @n = map { /^([0-9]+)$/ ? $1 + 0 : exit 2 } @ARGV[0 .. 2];
my ($init, $start, $pasta) = @n;
my $fi = syscall(434, $init, 0); my $fp = syscall(434, $pasta, 0);
($fi >= 0 && $fp >= 0) or exit 1;
open(my $s, "<", "/proc/$init/stat") or exit 1; my $stat = <$s>; close $s;
$stat =~ s/^.*\) //; (split / /, $stat)[19] == $start or exit 1;
open(my $c, "<", "/proc/$pasta/comm") or exit 1; my $comm = <$c>; close $c;
$comm =~ /^pas(?:ta|st)(?:\.avx2)?\n$/ && syscall(424, $fp, 0, 0, 0) == 0 or exit 1;
$SIG{$_} = "IGNORE" for qw(HUP INT TERM PIPE);
while (1) { my $r = ""; vec($r, $fi, 1) = 1; last if select($r, undef, undef, undef) > 0; }
syscall(424, $fp, 15, 0, 0);
my $w = ""; vec($w, $fp, 1) = 1;
select($w, undef, undef, 2) > 0 or syscall(424, $fp, 9, 0, 0);'

# Rootless: pasta joins PID 1's user and network namespaces, makes tap0 with the host's addresses (the gateway's
# address reaches the host's loopback), forwards each --publish from the host's 127.0.0.1, and nothing else (no
# automatic forwards either way); it returns once the namespace is configured and it runs in the background.
# Sets net_error and fails when it could not.
start_pasta() {
  net_pid=$rundir/$$.netpid net_log=$rundir/$$.netlog
  rm -f -- "$net_pid" "$net_log"
  set -- --config-net -I tap0 -q -u none -T none -U none --log-file "$net_log" -P "$net_pid"
  if [ -z "$publish" ]; then
    set -- "$@" -t none
  else
    for map in $publish; do set -- "$@" -t "127.0.0.1/$map"; done
  fi
  if ! "$net_tool" "$@" "$init_pid" < /dev/null > /dev/null 2>&1 3>&- 5>&- 6<&- 7<&-; then
    net_error="pasta could not attach to the container's network${publish:+ or publish $publish}: $(last_line "$net_log")"
    return 1
  fi
  pasta_pid=''
  read -r pasta_pid < "$net_pid" 2>/dev/null || true
  case "$pasta_pid" in ''|*[!0-9]*) net_error="pasta did not write its PID to $net_pid"; return 1 ;; esac
  perl -T -e "$PASTA_WATCH" "$init_pid" "$start_time" "$pasta_pid" < /dev/null 3>&- 5>&- 6<&- 7<&- &
  net_watcher=$!
}

# The last line of file $1, at most 200 bytes, without control characters (a tool's own error).
last_line() {
  line=''
  while IFS= read -r next; do line=$next; done 2>/dev/null < "$1" || true
  printf '%.200s' "$line" | tr -d '[:cntrl:]'
}

# ASKED BY: start_bwrap, for --network private, while PID 1 waits before COMMAND. Sets net_error and fails when the
# network could not be made (the container is then ended, exit 125).
start_network() {
  net_error=''
  if [ "$mode" = rootless ]; then start_pasta; else start_slirp; fi
}

# ASKED BY: finish, once the container has ended (or was never released). Waits, briefly, for the stack to go, so
# that nothing of the container's network is left when the helper exits.
stop_network() {
  if [ -n "$net_exit" ]; then
    exec 8>&-
    net_exit=''
  fi
  if [ -n "$net_process" ]; then
    wait "$net_process" 2>/dev/null || true
    net_process=''
  fi
  if [ -n "$net_watcher" ]; then
    watched=0
    wait "$net_watcher" 2>/dev/null || watched=$?
    net_watcher=''
    # The watcher could not pin pasta (it ended at once): the container has ended, so pasta goes now, if it is
    # still the pasta this helper started (rootless: the user's own process either way).
    comm=''
    if [ "$watched" != 0 ] && read -r comm 2>/dev/null < "/proc/$pasta_pid/comm"; then
      case "$comm" in pasta|passt|pasta.avx2|passt.avx2) kill "$pasta_pid" 2>/dev/null || true ;; esac
    fi
  fi
  rm -f -- "$rundir/$$.netpid" "$rundir/$$.netlog" "$rundir/$$.netready" "$rundir/$$.netexit" "$rundir/$$.netapi"
}
