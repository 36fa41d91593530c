
# --- `exec`: a new process in a running container ----------------------------------------------------------------

# What `runc exec` does, by one process, in this order: (the container's PID 1 is already held by fd 7 and checked)
# the namespaces of PID 1 other than ours are opened through fd 7, and its root, and the seccomp filter's bytes are
# read, all BEFORE any setns (after setns(mnt) host files are out of reach; the filter refuses setns); the start
# time is read again through fd 7 (the same process, not one that took its number); setns: user first (when the
# container has its own), then cgroup, ipc, uts, net, pid, mnt; fork (setns(pid) places only children); the child
# takes PID 1's root (fchdir + chroot, as nsenter --root does: a container started by hand is a chroot in the host's
# mount namespace), closes every descriptor but 0-2, takes PID 1's ids and groups (no user namespace joined),
# bounding set, capability sets and ambient set, enters the work folder, sets no_new_privs if PID 1 has it, loads
# the filter if PID 1 runs under one, resets every signal, and execs COMMAND with a clean environment; the parent
# (on the host) forwards HUP and TERM, ignores INT and QUIT (the terminal sends them to the child), and exits with
# the child's status (128+N when killed by signal N). A constant, run by perl -T; values reach it as arguments:
# the machine, T1, the filter's path ('' for none), the work folder, TERM, then COMMAND.
# shellcheck disable=SC2016 # perl's variables, not the shell's
readonly EXEC_PROGRAM='use strict;
sub fail { print STDERR "container-helper: $_[0]\n"; exit 125; }
my ($arch, $start, $filter_path, $workdir, $term, @command) = map { /\A(.*)\z/s; $1 } @ARGV;
@command or fail("no COMMAND");
my %numbers = (x86_64 => [308, 126, 157, 116, 117, 119, 3, 14, 63], aarch64 => [268, 91, 167, 159, 147, 149, 57, 135, 160]);
my ($SETNS, $CAPSET, $PRCTL, $SETGROUPS, $SETRESUID, $SETRESGID, $CLOSE, $SIGPROCMASK, $UNAME) =
  @{ $numbers{$arch} || fail("exec knows the system calls of x86_64 and aarch64, not of $arch") };
opendir(my $fds, "/proc/self/fd") or fail("cannot list /proc/self/fd: $!");
my @leaked = map { /\A([0-9]+)\z/ && $1 > 2 && $1 != 7 ? ($1) : () } readdir($fds);
my $listing = fileno($fds);
closedir($fds);
syscall($CLOSE, $_ + 0) for grep { $_ != $listing } @leaked;
sub pinned { my $path = shift; open(my $fh, "<", "/proc/self/fd/7/$path") or fail("the container has ended ($path: $!)");
  local $/; my $text = <$fh>; close($fh); return $text; }
my %status = map { /\A(\w+):\s*(.*?)\s*\z/ ? ($1, $2) : () } split(/\n/, pinned("status"));
my $filter = "";
my $seccomp = $status{Seccomp} // "0";
if ($seccomp ne "0") {
  ($seccomp eq "2" && $filter_path ne "") or
    fail("the container runs under a seccomp filter this helper did not give it: refusing to enter it without that filter");
  open(my $fh, "<:raw", $filter_path) or fail("cannot read the seccomp filter $filter_path: $!");
  local $/; $filter = <$fh> // ""; close($fh);
  (length($filter) > 0 && length($filter) % 8 == 0) or fail("$filter_path is not a seccomp filter");
  ($filter) = $filter =~ /\A(.*)\z/s;
}
open(my $last_fh, "<", "/proc/sys/kernel/cap_last_cap") or fail("cannot read cap_last_cap: $!");
my $last_cap = <$last_fh>; close($last_fh);
($last_cap) = ($last_cap // "") =~ /\A([0-9]+)\s*\z/ or fail("cannot read cap_last_cap");
my (@joined, $own_user);
for my $ns (qw(user cgroup ipc uts net pid mnt)) {
  my @theirs = stat("/proc/self/fd/7/ns/$ns") or fail("the container cannot be entered ($ns namespace: $!)");
  my @ours = stat("/proc/self/ns/$ns");
  next if @ours && $ours[0] == $theirs[0] && $ours[1] == $theirs[1];
  open(my $fh, "<", "/proc/self/fd/7/ns/$ns") or fail("the container cannot be entered ($ns namespace: $!)");
  push @joined, [$ns, $fh];
  $own_user = 1 if $ns eq "user";
}
opendir(my $root, "/proc/self/fd/7/root") or fail("cannot open the root of the container: $!");
my @stat = split(/ /, (pinned("stat") =~ /\) (.*)\z/s)[0] // "");
(($stat[19] // "") eq $start && $stat[0] ne "Z") or fail("the container has ended (that PID now names another process)");
syscall($CLOSE, 7);
sub halves { my ($name) = @_; ($status{$name} // "") =~ /\A([0-9a-f]{8})([0-9a-f]{8})\z/ or
  fail("cannot read $name of the container"); return (hex($2), hex($1)); }
my @bounding = halves("CapBnd"); my @inheritable = halves("CapInh"); my @permitted = halves("CapPrm");
my @effective = halves("CapEff"); my @ambient = halves("CapAmb");
sub has { my ($set, $cap) = @_; return ($set->[$cap >= 32 ? 1 : 0] >> ($cap % 32)) & 1; }
for (@joined) { syscall($SETNS, fileno($_->[1]) + 0, 0) == 0 or fail("cannot enter the $_->[0] namespace of the container: $!"); }
my $child = fork() // fail("cannot start a process in the container: $!");
if ($child == 0) {
  chdir($root) && chroot(".") && chdir("/") or fail("cannot enter the root of the container: $!");
  closedir($root);
  close($_->[1]) for @joined;
  unless ($own_user) {
    my @uid = split(/\s+/, $status{Uid} // ""); my @gid = split(/\s+/, $status{Gid} // "");
    my @groups = map { /\A([0-9]+)\z/ ? ($1 + 0) : () } split(/\s+/, $status{Groups} // "");
    my $list = pack("L*", @groups, 0);
    syscall($SETGROUPS, scalar(@groups) + 0, $list) == 0 or fail("setgroups: $!");
    syscall($SETRESGID, $gid[0] + 0, $gid[1] + 0, $gid[2] + 0) == 0 or fail("setresgid: $!");
    syscall($PRCTL, 8, 1, 0, 0, 0) == 0 or fail("PR_SET_KEEPCAPS: $!");
    syscall($SETRESUID, $uid[0] + 0, $uid[1] + 0, $uid[2] + 0) == 0 or fail("setresuid: $!");
  }
  for my $cap (0 .. $last_cap) {
    next if has(\@bounding, $cap);
    syscall($PRCTL, 24, $cap + 0, 0, 0, 0) == 0 or fail("cannot drop capability $cap from the bounding set: $!");
  }
  my $header = pack("Li", 0x20080522, 0);
  my $data = pack("L6", $effective[0], $permitted[0], $inheritable[0], $effective[1], $permitted[1], $inheritable[1]);
  syscall($CAPSET, $header, $data) == 0 or fail("cannot set the capabilities of the container: $!");
  if (syscall($PRCTL, 47, 4, 0, 0, 0) == 0) {
    for my $cap (0 .. $last_cap) { syscall($PRCTL, 47, 2, $cap + 0, 0, 0) if has(\@ambient, $cap); }
  }
  chdir($workdir) or fail("--workdir cannot be entered in the container: $workdir ($!)");
  if (($status{NoNewPrivs} // "0") eq "1") { syscall($PRCTL, 38, 1, 0, 0, 0) == 0 or fail("PR_SET_NO_NEW_PRIVS: $!"); }
  if ($filter ne "") {
    my $program = pack("S x6 p", length($filter) / 8, $filter);
    syscall($PRCTL, 22, 2, $program, 0, 0) == 0 or fail("cannot load the seccomp filter: $!");
  }
  for my $sig (keys %SIG) { next if $sig =~ /\A(KILL|STOP|__WARN__|__DIE__)\z/; local $@; eval { $SIG{$sig} = "DEFAULT" }; }
  my $empty = "\0" x 8;
  syscall($SIGPROCMASK, 2, $empty, 0, 8);
  my $names = "\0" x 390;
  syscall($UNAME, $names);
  my ($host) = substr($names, 65, 65) =~ /\A([A-Za-z0-9_.-]{0,64})\0/;
  %ENV = (PATH => "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME => "/root", TERM => $term,
    HOSTNAME => $host // "");
  exec { $command[0] } @command;
  my $errno = $! + 0;
  print STDERR "container-helper: cannot run $command[0] in the container: $!\n";
  exit($errno == 2 ? 127 : 126);
}
closedir($root);
close($_->[1]) for @joined;
$SIG{INT} = $SIG{QUIT} = "IGNORE";
$SIG{HUP} = sub { kill("HUP", $child) }; $SIG{TERM} = sub { kill("TERM", $child) };
while (waitpid($child, 0) != $child) { $! == 4 or fail("lost the process in the container: $!"); }
my $code = $?;
exit(($code & 127) ? 128 + ($code & 127) : $code >> 8);
'

exec_command() {
  container='' container_start='' workdir=/ seen=' '
  while [ $# -gt 0 ]; do
    case "$1" in
      --container|--container-start-time|--workdir)
        flag_once "$1" $#
        case "$1" in
          --container) container=$2 ;;
          --container-start-time) container_start=$2 ;;
          --workdir) workdir=$2 ;;
        esac
        shift 2
        ;;
      --) shift; break ;;
      -*) die "unknown argument to exec: $1" ;;
      *) break ;;
    esac
  done
  for flag in --container --container-start-time; do
    case "$seen" in *" $flag "*) ;; *) die "exec needs $flag" ;; esac
  done
  valid_pid "$container" || die "--container must be a PID (1..pid_max): $container"
  valid_start_time "$container_start" || die "--container-start-time must be a whole number: $container_start"
  case "$workdir" in /*) ;; *) die "--workdir must be an absolute path inside the container: $workdir" ;; esac
  has_control_chars "$workdir" && die "--workdir contains control characters"
  [ "${#workdir}" -le 4096 ] || die "--workdir is longer than 4096 characters"
  [ $# -gt 0 ] || set -- /bin/sh
  [ -n "$1" ] || die "COMMAND is empty"
  has_control_chars "$1" && die "COMMAND contains control characters"
  term=${TERM:-xterm-256color}
  case "$term" in ''|*[!A-Za-z0-9_.+-]*) term=xterm-256color ;; esac
  [ "${#term}" -le 64 ] || term=xterm-256color
  case "$0" in */*) self_dir=${0%/*} ;; *) self_dir=. ;; esac
  cd -P -- "$self_dir" 2>/dev/null || die "cannot find the helper's own folder from $0"
  self_dir=$PWD
  cd /
  find_caller
  make_folders

  # PID 1 is held by fd 7 before anything is checked: every check below, and the program that enters, read it
  # through that descriptor, so a PID reused meanwhile fails them instead of being entered.
  pin_process "$container" || die "container $container is not running"
  read_stat self/fd/7 || die "container $container is not running"
  [ "$stat_start" = "$container_start" ] || die "container $container has ended (that PID now names another process)"
  [ "$stat_state" != Z ] || die "container $container has ended"
  chain=$(ns_pids self/fd/7) || die "cannot read the PID namespaces of $container"
  case "$chain" in
    1) die "$container is the host's PID 1 (init), not a container: refusing to enter it" ;;
    *" 1") ;;
    *) die "$container is not the PID 1 of a container: refusing to enter it" ;;
  esac
  read_uids self/fd/7 || die "container $container is not running"
  if [ "$mode" = rootless ] && [ "$real_uid" != "$caller" ]; then
    die "container $container is another user's: refusing to enter it"
  fi
  # The seccomp filter is this helper's when it started the container (its record); a container with a filter of
  # any other origin is refused by the program, never entered without one.
  filter=''
  if [ "$delegated" = 1 ]; then
    require_record "$container" "$container_start" "enter it"
    require_exec_owners
    filter=$self_dir/seccomp.bpf
  elif [ -f "$registry/$container-$container_start.json" ] && [ ! -L "$registry/$container-$container_start.json" ]; then
    filter=$self_dir/seccomp.bpf
  fi
  if [ -f "$registry/$container-$container_start.json" ] && [ ! -L "$registry/$container-$container_start.json" ]; then
    join_cgroup_of "$registry/$container-$container_start.json" "$container"
  fi
  arch=$(uname -m)
  enter_pinned "$arch" "$container_start" "$filter" "$workdir" "$term" "$@"
}
