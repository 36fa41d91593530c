// `mini-containers ps [--json]`: every container's processes with their namespace and host PIDs.
// `mini-containers stats [--no-stream]`: what each container costs, as `docker stats` shows it.
// `mini-containers make-rootfs DIR`: a BusyBox root filesystem from the host's static busybox.
// `mini-containers install-helper [--prefix DIR]`: root-owned copies of the helper's files, and the sudoers line.
// `mini-containers rootfs list|rm|import|pull|debian ...`: the root filesystems of the stores (cliRootfs.ts,
// cliImport.ts, cliPull.ts, cliDebian.ts).
// Exit status: 0 done, 1 failed (the reason on stderr), 2 usage error.

import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBusyboxRootfs } from './core/rootfs/busyboxRootfs';
import { installHelperFiles } from './core/helper/helperInstall';
import { sudoersLine } from './core/helper/systemHelper';
import { buildModel } from './core/model/containerModel';
import { formatPsTable, ModelUsage, toPsJson } from './core/model/format';
import { formatStatsTable, meteredContainers } from './core/model/usageText';
import { DEFAULT_CGROUP_ROOT, UsageMeter } from './core/proc/cgroupUsage';
import { delegateCgroups, undelegateCgroups } from './core/helper/cgroupDelegation';
import { parsePasswdEntries } from './core/proc/procParse';
import { bootTimeMs } from './core/proc/procReader';
import type { ContainerModel } from './core/model/containerModel';
import { ProcessScanner } from './core/proc/processScanner';
import { ContainerRegistry } from './core/helper/registry';
import { EngineInfoCache } from './core/engines/engineInfo';
import { nodeRunner } from './core/engines/engineCli';
import { IMPORT_USAGE, rootfsImport } from './cliImport';
import { unpackWorker } from './core/rootfs/imageImport';
import { rootfsList, rootfsRm } from './cliRootfs';
import { PULL_USAGE, rootfsPull } from './cliPull';
import { DEBIAN_USAGE, rootfsDebian } from './cliDebian';

const USAGE = `usage: mini-containers ps [--json]
       mini-containers stats [--no-stream]
       mini-containers make-rootfs DIR
       mini-containers install-helper [--prefix DIR]
       mini-containers delegate-cgroup [--remove] USER
       mini-containers rootfs list [--json]
       mini-containers rootfs rm NAME
       mini-containers ${IMPORT_USAGE.split('\n')[0]}
       mini-containers ${PULL_USAGE.split('\n')[0]}
       mini-containers ${DEBIAN_USAGE.split('\n')[0]}

  ps         list every container (PID namespace other than the host's) with its processes:
             PID inside the container, HPID on the host, PPID on the host, user, state, command
             a Docker or Podman container shows its engine's name and image, asked of its CLI
             (DOCKER_HOST and CONTAINER_HOST are honoured)
  --json     print one JSON document instead of a table; it also says what each container and process costs
             (usage: memory, its source and limit, pids, CPU quota and %, OOM kills; rssBytes and cpuPercent)
  stats [--no-stream]
             what each container costs, as docker stats shows it: CPU % (100% = one core), memory used and its
             limit (the host's memory when it has none; ≈ marks a sum of its processes' RSS, for a container
             without a cgroup of its own), MEM %, processes; again every 2 s until Ctrl-C, once with --no-stream
  make-rootfs DIR
             build a BusyBox root filesystem at DIR (which must not exist) from the host's static busybox
             (Debian package busybox-static)
  install-helper [--prefix DIR]
             as root: copy the helper and its seccomp filter, root-owned, to DIR/libexec/mini-containers
             (DIR: /usr/local), and print the one sudoers line that allows only that copy, for the user
             who ran sudo
  delegate-cgroup [--remove] USER
             as root: give USER a cgroup subtree (mini-containers/user-UID in each hierarchy), so that their
             rootless containers get a group, limits and exact cleanup as root's do; --remove takes it back
  rootfs list [--json]
             the root filesystems of your store and of the system store: origin, size on disk, last use, owner
  rootfs rm NAME
             delete NAME and its metadata (as root: from the system store); refused while a container runs on it;
             links inside are removed, never followed
  ${IMPORT_USAGE}
  ${PULL_USAGE}
  ${DEBIAN_USAGE}
`;

/** `rootfs SUBCOMMAND`: each subcommand's function, given its arguments and a way to print the usage. */
const ROOTFS_SUBCOMMANDS: Record<string, (args: string[], usage: () => void) => number | Promise<number>> = {
  import: rootfsImport,
  pull: rootfsPull,
  debian: rootfsDebian,
  list: (args, usage) => (args.length === 0 || (args.length === 1 && args[0] === '--json') ? rootfsList(args.length === 1) : (usage(), 2)),
  rm: (args, usage) => (args.length === 1 && args[0] ? rootfsRm(args[0]) : (usage(), 2)),
};

function installHelper(args: string[]): number {
  if (!(args.length === 0 || (args.length === 2 && args[0] === '--prefix' && args[1]))) {
    process.stderr.write(USAGE);
    return 2;
  }
  try {
    // The shipped files lie beside this script's folder: dist/cli.js → src/helper/.
    const helper = installHelperFiles(path.join(__dirname, '..', 'src', 'helper'), args[1] ?? '/usr/local');
    const user = process.env.SUDO_USER && process.env.SUDO_USER !== 'root' ? process.env.SUDO_USER : os.userInfo().username;
    process.stderr.write(`installed ${helper} (root-owned); add this line with "visudo -f /etc/sudoers.d/mini-containers":\n`);
    process.stdout.write(`${sudoersLine(user, helper)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`mini-containers: ${(e as Error).message}\n`);
    return 1;
  }
}

function delegateCgroup(args: string[]): number {
  const remove = args[0] === '--remove';
  const name = remove ? args[1] : args[0];
  if (!name || args.length !== (remove ? 2 : 1)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const entry = parsePasswdEntries(readFileSync('/etc/passwd', 'utf8')).find((e) => e.name === name && e.gid >= 0);
  if (!entry) {
    process.stderr.write(`mini-containers: no user ${name} in /etc/passwd\n`);
    return 1;
  }
  const { uid, gid } = entry;
  try {
    const folders = remove ? undelegateCgroups(DEFAULT_CGROUP_ROOT, uid) : delegateCgroups(DEFAULT_CGROUP_ROOT, uid, gid);
    for (const folder of folders) process.stdout.write(`${folder}\n`);
    process.stderr.write(remove ? `taken back from ${name}\n` : `delegated to ${name} (uid ${uid}): their rootless containers now get a cgroup\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`mini-containers: ${(e as Error).message}\n`);
    return 1;
  }
}

async function makeRootfs(dir: string): Promise<number> {
  try {
    await buildBusyboxRootfs(dir, { onProgress: (step) => process.stderr.write(`${step}\n`) });
    return 0;
  } catch (e) {
    process.stderr.write(`mini-containers: ${(e as Error).message}\n`);
    return 1;
  }
}

/** What `ps` and `stats` read: the scanner, the helper's records and the engines' names, kept between readings. */
interface Sources {
  readonly scanner: ProcessScanner;
  readonly registry: ContainerRegistry;
  readonly engines: EngineInfoCache;
  readonly meter: UsageMeter;
}

function openSources(): Sources {
  // Kept descriptors and a change probe other than stat (read anyway) would only cost here; stat keeps RSS fresh.
  const scanner = new ProcessScanner({ maxOpenFiles: 0, changeProbe: 'stat' });
  const registry = new ContainerRegistry();
  // Docker and Podman containers are named by their CLI (DOCKER_HOST and CONTAINER_HOST honoured); one that cannot
  // answer leaves them named by id, with one warning.
  const engines = new EngineInfoCache({
    run: nodeRunner,
    env: process.env,
    log: { info: () => undefined, warn: (m) => process.stderr.write(`mini-containers: warning: ${m.replace(/^\[engines\] /, '')}\n`) },
  });
  return { scanner, registry, engines, meter: new UsageMeter({ bootMs: bootTimeMs() }) };
}

/** One reading: the containers, and what each costs. Undefined (the reason on stderr) when /proc cannot be read. */
async function readModel(sources: Sources, previous?: ContainerModel): Promise<{ model: ContainerModel; usage: ModelUsage } | undefined> {
  const { scanner, registry, engines, meter } = sources;
  let snapshot;
  try {
    snapshot = scanner.scan();
  } catch (e) {
    process.stderr.write(`mini-containers: cannot read /proc: ${(e as Error).message}\n`);
    return undefined;
  }
  const records = registry.read();
  if (registry.lastError) {
    process.stderr.write(`mini-containers: warning: cannot read ${registry.dir}: ${registry.lastError.message}\n`);
  }
  const inputs = { records, rootOf: (pid: number) => scanner.rootOf(pid), engineOf: (pid: number) => scanner.engineOf(pid), engineInfo: engines.lookup.bind(engines) };
  let model = buildModel(snapshot, { ...inputs, previous });
  if (model.containers.some((c) => c.engine !== null && c.engine.name === null)) {
    await engines.settled();
    model = buildModel(snapshot, { ...inputs, previous: model });
  }
  return { model, usage: meter.measure(meteredContainers(model)) };
}

async function ps(json: boolean): Promise<number> {
  const sources = openSources();
  const read = await readModel(sources);
  sources.engines.dispose();
  if (read === undefined) return 1;
  process.stdout.write(json ? JSON.stringify(toPsJson(read.model, read.usage)) + '\n' : formatPsTable(read.model));
  return 0;
}

/** How often `stats` reads again, as docker stats does. */
const STATS_INTERVAL_MS = 2000;

/**
 * `stats [--no-stream]`: a `docker stats`-like table, again every 2 s until Ctrl-C (exit 0), redrawn in place on a
 * terminal and one table after another otherwise; once with --no-stream. The figures are `ps --json`'s.
 */
async function stats(stream: boolean): Promise<number> {
  const sources = openSources();
  const tty = process.stdout.isTTY === true;
  let previous: ContainerModel | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.on('SIGINT', stop);
  try {
    for (;;) {
      const read = await readModel(sources, previous);
      if (read === undefined) return 1;
      previous = read.model;
      const table = formatStatsTable(read.model, read.usage.containers, os.totalmem());
      // Home and clear to the end: the new table overwrites the old without a flicker of an empty screen.
      process.stdout.write(stream && tty ? `\x1b[H${table.replace(/\n/g, '\x1b[K\n')}\x1b[J` : stream ? `${table}\n` : table);
      if (!stream || stopped) return 0;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STATS_INTERVAL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopped) return 0;
    }
  } finally {
    process.off('SIGINT', stop);
    sources.engines.dispose();
  }
}

/** `rootfs SUBCOMMAND …`: one case per subcommand. */
function main(args: string[]): number | Promise<number> {
  if (args.length === 1 && (args[0] === '-h' || args[0] === '--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args[0] === 'make-rootfs') {
    if (args.length !== 2 || !args[1]) {
      process.stderr.write(USAGE);
      return 2;
    }
    return makeRootfs(args[1]);
  }
  if (args[0] === 'install-helper') return installHelper(args.slice(1));
  if (args[0] === 'delegate-cgroup') return delegateCgroup(args.slice(1));
  // Not for people: root's import runs this inside its sandbox (imageImport.ts unpackSandboxed).
  if (args[0] === '__unpack' && args.length === 4) return unpackWorker(args[1], args[2], args[3]);
  if (args[0] === 'rootfs') {
    const run = ROOTFS_SUBCOMMANDS[args[1] ?? ''];
    if (!run) {
      process.stderr.write(USAGE);
      return 2;
    }
    return run(args.slice(2), () => process.stderr.write(USAGE));
  }
  const [command, ...flags] = args;
  if (command === 'stats') {
    if (flags.length > 1 || (flags.length === 1 && flags[0] !== '--no-stream')) {
      process.stderr.write(USAGE);
      return 2;
    }
    return stats(flags.length === 0);
  }
  const json = flags.length === 1 && flags[0] === '--json';
  if (command !== 'ps' || (flags.length > 0 && !json)) {
    process.stderr.write(USAGE);
    return 2;
  }
  return ps(json);
}

// `ps | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});
void Promise.resolve(main(process.argv.slice(2))).then((code) => {
  process.exitCode = code;
});
