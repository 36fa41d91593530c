// `node dist/test/bench/helperStart.bench.js` (root): what one container start costs through the helper,
// against the lesson's raw command and bubblewrap on the same BusyBox rootfs, all running /bin/true; then where
// the helper's time goes, phase by phase. Starts are interleaved (the order rotating each round) so that load
// from anything else on the machine hits all sides alike.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../e2e/codeServerInstall';
import { processesRootedIn } from '../e2e/hostProcesses';
import { createTestRootfs, mountsUnder, type TestRootfs } from '../e2e/rootfs';
import { perfAvailable, summarizeTraces, traceStarts } from './helperPhases';
import { median, ms, quantile, ratio, summarize } from './report';
import { runScript } from '../e2e/script';

const ROUNDS = Number(process.env.BENCH_HELPER_ROUNDS ?? 30);
const TRACED = 12;
const HELPER = join(projectRoot, 'src', 'helper', 'container-helper.sh');
const GROUP = 'helper start';

/** An ordinary user for the rootless starts: nobody, who can read the helper and the rootfs (0755 folders). */
const ROOTLESS_UID = 65534;

interface Start {
  argv: string[];
  /** Runs as this uid (and gid), for the rootless starts. */
  uid?: number;
}

// The floors: what any sh helper that runs bubblewrap with the helper's own confinement must cost, doing
// nothing else (no checks, no status, no record, no pdeathsig wrapper): sh, then exec bwrap; as root, sh, then
// capsh (bwrap run by root leaves the bounding set alone), then bwrap. Copied from the helper's build_bwrap_args.
const KEEP_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'NET_BIND_SERVICE',
  'NET_RAW', 'AUDIT_WRITE', 'SETFCAP'];
const BWRAP_NEEDS = 'cap_sys_admin,cap_sys_chroot,cap_net_admin,cap_sys_ptrace,cap_setpcap,cap_setuid,cap_setgid';
const SECCOMP = join(projectRoot, 'src', 'helper', 'seccomp.bpf');

function confinedBwrapArgs(rootfs: string, rootless: boolean): string[] {
  const masks = ['sys', 'sysrq-trigger', 'bus', 'fs', 'irq'].filter((p) => existsSync(`/proc/${p}`)).flatMap((p) => ['--ro-bind', `/proc/${p}`, `/proc/${p}`]);
  const hidden = ['kcore', 'keys', 'timer_list', 'timer_stats', 'sched_debug', 'latency_stats'].filter((f) => existsSync(`/proc/${f}`)).flatMap((f) => ['--ro-bind', '/dev/null', `/proc/${f}`]);
  return ['--bind', rootfs, '/', '--proc', '/proc', '--dev', '/dev', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--hostname', 'bench',
    '--die-with-parent', '--chdir', '/', '--clearenv', '--setenv', 'PATH', '/usr/bin:/bin', '--setenv', 'HOME', '/root', '--setenv', 'TERM', 'xterm',
    ...(rootless ? ['--unshare-user', '--uid', '0', '--gid', '0'] : []), ...masks, ...hidden, '--seccomp', '9',
    '--cap-drop', 'ALL', ...KEEP_CAPS.flatMap((c) => ['--cap-add', `CAP_${c}`]), '--as-pid-1', '/bin/true'];
}

/** The commands compared, each a function giving one start. */
function commands(rootfs: string, tmp: string, workspace: string): Record<string, () => Start> {
  let n = 0;
  const as = (uid: number | undefined, argv: string[]): Start => ({ argv, uid });
  const dropBounding = ['AUDIT_CONTROL', 'AUDIT_READ', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'DAC_READ_SEARCH', 'IPC_LOCK',
    'IPC_OWNER', 'LEASE', 'LINUX_IMMUTABLE', 'MAC_ADMIN', 'MAC_OVERRIDE', 'MKNOD', 'NET_ADMIN', 'NET_BROADCAST', 'PERFMON', 'SYS_ADMIN',
    'SYS_BOOT', 'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE', 'SYS_RAWIO', 'SYS_RESOURCE', 'SYS_TIME',
    'SYS_TTY_CONFIG', 'SYSLOG', 'WAKE_ALARM'].map((c) => `cap_${c.toLowerCase()}`).join(',');
  return {
    floor: () => as(undefined, ['/bin/true']),
    raw: () => as(undefined, ['unshare', '-pfmui', `--mount-proc=${rootfs}/proc`, 'chroot', rootfs, '/bin/true']),
    bwrap: () => as(undefined, ['bwrap', '--bind', rootfs, '/', '--proc', '/proc', '--dev', '/dev', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--as-pid-1', '/bin/true']),
    helper: () => as(undefined, ['sh', HELPER, 'start', '--rootfs', rootfs, '--', '/bin/true']),
    // As the extension runs it: a name, and a status file that must not exist yet.
    helperExt: () => as(undefined, ['sh', HELPER, 'start', '--rootfs', rootfs, '--name', 'bench', '--status-file', join(tmp, `status-${++n}.jsonl`), '--', '/bin/true']),
    // The lesson's command made rootless (unshare -r), and the helper run by an ordinary user.
    rawRootless: () => as(ROOTLESS_UID, ['unshare', '-r', '-pfmui', `--mount-proc=${rootfs}/proc`, 'chroot', rootfs, '/bin/true']),
    rootless: () => as(ROOTLESS_UID, ['sh', HELPER, 'start', '--rootfs', rootfs, '--', '/bin/true']),
    // miniContainers.mountWorkspace: the workspace folder bound at its own path, and the command started there.
    helperWorkspace: () => as(undefined, ['sh', HELPER, 'start', '--rootfs', rootfs, '--bind', workspace, '--workdir', workspace, '--', '/bin/true']),
    // Rootless, bwrap makes a mount point as the user, and this rootfs is root's: bound on its /tmp, which exists.
    rootlessWorkspace: () => as(ROOTLESS_UID, ['sh', HELPER, 'start', '--rootfs', rootfs, '--bind', `${workspace}:/tmp`, '--workdir', '/tmp', '--', '/bin/true']),
    floorRoot: () => as(undefined, ['sh', '-c', 'exec "$@" 9< "$0"', SECCOMP, 'capsh', `--inh=${BWRAP_NEEDS}`, `--drop=${dropBounding}`,
      '--shell=/usr/bin/bwrap', '--', ...confinedBwrapArgs(rootfs, false)]),
    floorRootless: () => as(ROOTLESS_UID, ['sh', '-c', 'exec "$@" 9< "$0"', SECCOMP, 'bwrap', ...confinedBwrapArgs(rootfs, true)]),
  };
}

/** Wall time of one start, from spawn to exit, in ms; throws unless it exits 0. */
function timeStart({ argv, uid }: Start): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), {
    stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000, cwd: '/',
    ...(uid === undefined ? {} : { uid, gid: uid, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/', XDG_RUNTIME_DIR: '' } }),
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}): ${r.stderr}`);
  return elapsed;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('helper start bench: needs root (namespaces, chroot)');
    return 1;
  }
  const missing = ['bwrap', 'unshare', 'capsh'].filter((c) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', c]).status !== 0);
  if (missing.length) {
    console.error(`helper start bench: missing ${missing.join(', ')}: apt-get install -y bubblewrap util-linux libcap2-bin`);
    return 1;
  }
  let rootfs: TestRootfs | undefined;
  // The rootless helper's own folder when nobody has no runtime folder; removed after, unless it was there.
  const nobodyRun = `/tmp/mini-containers-${ROOTLESS_UID}`;
  const nobodyRunExisted = existsSync(nobodyRun);
  const tmp = await mkdtemp(join(tmpdir(), 'mini-containers-bench-helper-'));
  try {
    rootfs = await createTestRootfs('mini-containers-bench-rootfs-', 'rootfs');
    // The rootless starts run as nobody, who must reach the rootfs.
    await chmod(rootfs.dir, 0o755);
    // A workspace folder nobody can enter too, beside the rootfs (which goes with it).
    const workspace = join(rootfs.dir, 'workspace');
    await mkdir(workspace, { mode: 0o755 });
    const cmds = commands(rootfs.rootfs, tmp, workspace);
    const hash = createHash('sha256').update(readFileSync(HELPER)).digest('hex').slice(0, 12);
    console.log(`helper ${HELPER} (sha256 ${hash}), rootfs ${rootfs.rootfs} (busybox, made by dist/cli.js make-rootfs)`);
    const names = Object.keys(cmds);
    for (const name of names) timeStart(cmds[name]()); // warm the page cache
    const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length];
        samples[name].push(timeStart(cmds[name]()));
      }
    }
    const med = (n: string) => median(samples[n]);
    const p90 = (n: string) => quantile(samples[n], 0.9);
    console.log(`\nper start, ${ROUNDS} interleaved rounds          median       p90   median/raw   p90/raw`);
    const labels: Record<string, string> = {
      floor: 'spawn floor: /bin/true from Node',
      raw: 'raw: unshare -pfmui --mount-proc chroot',
      bwrap: 'bubblewrap alone (--unshare-pid/ipc/uts)',
      helper: 'helper as root: container-helper.sh start',
      helperExt: 'helper as root + --name, --status-file',
      rawRootless: 'raw rootless: unshare -r -pfmui … chroot',
      rootless: 'helper rootless (as nobody, user namespace)',
      floorRoot: 'floor as root: sh, capsh, confined bwrap',
      floorRootless: 'floor rootless: sh, confined bwrap',
      helperWorkspace: 'helper as root + --bind WS --workdir WS',
      rootlessWorkspace: 'helper rootless + --bind WS:/tmp --workdir',
    };
    for (const n of names) {
      console.log(`  ${labels[n].padEnd(42)}${ms(med(n), 2).padStart(10)}${ms(p90(n), 2).padStart(10)}${ratio(med(n), med('raw')).padStart(13)}${ratio(p90(n), p90('raw')).padStart(10)}`);
    }
    summarize({
      group: GROUP, figure: 'helper start, median', value: ms(med('helper')), baseline: `raw unshare+chroot ${ms(med('raw'), 2)}`,
      ratio: ratio(med('helper'), med('raw')), target: '≤ 1.3× raw', met: med('helper') / med('raw') <= 1.3,
    });
    summarize({
      group: GROUP, figure: 'helper start, p90', value: ms(p90('helper')), baseline: `raw p90 ${ms(p90('raw'), 2)}`,
      ratio: ratio(p90('helper'), p90('raw')), target: '≤ 1.3× raw', met: p90('helper') / p90('raw') <= 1.3,
    });
    summarize({
      group: GROUP, figure: 'helper start as the extension runs it, median', value: ms(med('helperExt')), baseline: `raw ${ms(med('raw'), 2)}`,
      ratio: ratio(med('helperExt'), med('raw')), target: '≤ 1.3× raw', met: med('helperExt') / med('raw') <= 1.3,
    });
    summarize({
      group: GROUP, figure: 'rootless helper start, median', value: ms(med('rootless')), baseline: `raw unshare+chroot ${ms(med('raw'), 2)}`,
      ratio: ratio(med('rootless'), med('raw')), target: '≤ 1.3× raw', met: med('rootless') / med('raw') <= 1.3,
    });
    summarize({
      group: GROUP, figure: 'rootless helper start against the rootless raw command, median', value: ms(med('rootless')),
      baseline: `raw unshare -r+chroot ${ms(med('rawRootless'), 2)}`, ratio: ratio(med('rootless'), med('rawRootless')),
    });
    summarize({
      group: GROUP, figure: 'floor as root (sh, capsh, bwrap with the helper\'s confinement, nothing else), median', value: ms(med('floorRoot'), 2),
      baseline: `raw ${ms(med('raw'), 2)}`, ratio: ratio(med('floorRoot'), med('raw')),
    });
    summarize({
      group: GROUP, figure: 'floor rootless (sh, bwrap with the helper\'s confinement, nothing else), median', value: ms(med('floorRootless'), 2),
      baseline: `raw ${ms(med('raw'), 2)}`, ratio: ratio(med('floorRootless'), med('raw')),
    });
    summarize({
      group: GROUP, figure: 'helper start with the workspace bound (--bind WS --workdir WS), median', value: ms(med('helperWorkspace'), 2),
      baseline: `helper without ${ms(med('helper'), 2)}`, ratio: ratio(med('helperWorkspace'), med('helper')),
    });
    summarize({
      group: GROUP, figure: 'rootless helper start with the workspace bound, median', value: ms(med('rootlessWorkspace'), 2),
      baseline: `rootless helper without ${ms(med('rootless'), 2)}`, ratio: ratio(med('rootlessWorkspace'), med('rootless')),
    });
    summarize({ group: GROUP, figure: 'bubblewrap start, median', value: ms(med('bwrap'), 2), baseline: `raw ${ms(med('raw'), 2)}`, ratio: ratio(med('bwrap'), med('raw')) });
    summarize({ group: GROUP, figure: 'raw start, median', value: ms(med('raw'), 2), baseline: `spawn floor ${ms(med('floor'), 2)}`, ratio: ratio(med('raw'), med('floor')) });

    phases(cmds, tmp);

    const leftovers = processesRootedIn(rootfs.rootfs);
    if (leftovers.length) throw new Error(`processes still run in the rootfs after the starts: ${leftovers.map((p) => p.pid).join(', ')}`);
    const mounts = mountsUnder(rootfs.dir);
    if (mounts.length) throw new Error(`mounts leaked into the host's mount table: ${mounts.join(', ')}`);
    return 0;
  } finally {
    await rootfs?.dispose();
    await rm(tmp, { recursive: true, force: true });
    if (!nobodyRunExisted) await rm(nobodyRun, { recursive: true, force: true });
  }
}

function phases(cmds: Record<string, () => Start>, tmp: string): void {
  if (!perfAvailable()) {
    console.log('\nwhere the helper\'s time goes: skipped, `perf` is missing (apt-get install -y linux-perf)');
    return;
  }
  let helper: ReturnType<typeof summarizeTraces>;
  let raw: ReturnType<typeof summarizeTraces>;
  try {
    const [helperTraces, rawTraces] = [traceStarts(cmds.helper().argv, TRACED, tmp), traceStarts(cmds.raw().argv, TRACED, tmp)];
    if (!helperTraces.length || !rawTraces.length) throw new Error('perf recorded no complete start');
    [helper, raw] = [summarizeTraces(helperTraces), summarizeTraces(rawTraces)];
  } catch (err) {
    console.log(`\nwhere the helper's time goes: could not be measured: ${(err as Error).message}`);
    return;
  }
  // With bubblewrap the start is one exec chain: what the traces count is reported, program by program.
  console.log(`\nwhat one start runs: kernel sched tracepoints (perf record), median of ${TRACED} traced starts (${ms(helper.totalMs)})`);
  console.log(`  processes per start: ${helper.processes} (${helper.execs} programs exec'd); raw: ${raw.processes} (${raw.execs} exec'd)`);
  console.log('  programs run per start, by time from fork to exit (children that run one program):');
  for (const [name, [count, total]] of helper.programs) {
    console.log(`    ${name.padEnd(10)}${`${count}×`.padStart(5)}${ms(total).padStart(10)}${count ? `   ${ms(total / count, 2)} each` : ''}`);
  }
  console.log(`  exec'd in place along the chain: ${helper.chained.map(([n, c]) => `${n} ${c}×`).join(', ')}`);
  summarize({
    group: GROUP, figure: 'processes created per start', value: String(helper.processes), baseline: `raw ${raw.processes}`,
    ratio: ratio(helper.processes, raw.processes, 1),
  });
}

runScript(main, { stack: true });
