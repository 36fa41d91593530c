
# --- dispatch ------------------------------------------------------------------------------------------------------

usage() {
  cat >&2 <<'USAGE'
usage: container-helper.sh start --rootfs DIR [--name NAME] [--hostname NAME] [--status-file FILE] [--privileged] [--init] [--bind SRC[:DEST][:ro]]... [--workdir DIR] [--network host|none|private] [--publish HOSTPORT:PORT]... [--env KEY=VALUE]... [--ephemeral] [--memory SIZE] [--pids N|max] [--cpus X] [--] [COMMAND [ARG]...]
       container-helper.sh kill --container PID1 --container-start-time T1 --pid PID --start-time T --signal SIG
       container-helper.sh exec --container PID1 --container-start-time T1 [--workdir DIR] [--] [COMMAND [ARG]...]
       container-helper.sh make-rootfs --name NAME
USAGE
}

case "${1:-}" in
  start) shift; start "$@" ;;
  kill) shift; kill_command "$@" ;;
  exec) shift; exec_command "$@" ;;
  make-rootfs) shift; make_rootfs "$@" ;;
  -h|--help|help) usage; exit 0 ;;
  '') usage; die "no subcommand given" ;;
  *) usage; die "unknown subcommand: $1" ;;
esac
