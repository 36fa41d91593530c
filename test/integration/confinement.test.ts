// Confinement by default: root inside cannot chroot its way out, mount, make devices, regain privileges, or
// write the kernel's settings; --privileged keeps all of that, as documented; --init reaps orphans.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  addPerl, helperPath, makeRootfs, makeTempDir, mountTable, perlFilterProbe, readStarted, requireRoot, runHelper, spawnHelper, stopAllHelpers,
  waitFor,
} from './harness';
import { isAlive, processesInNamespaceOf, readStat } from './hostProcs';

/** Bits of the capabilities Docker keeps by default, less SYS_CHROOT (18) and MKNOD (27). */
const DOCKER_DEFAULT_LESS_CHROOT_MKNOD = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 29, 31].reduce((m, bit) => m | (1n << BigInt(bit)), 0n);
/** On the host's network (the default), NET_RAW (bit 13) goes too: no raw socket on the host's interfaces. */
const ON_HOST_NETWORK = DOCKER_DEFAULT_LESS_CHROOT_MKNOD & ~(1n << 13n);

describe('confinement', () => {
  let tmp: string;
  let rootfs: string;
  let mountsBefore: string;

  before(async () => {
    requireRoot();
    mountsBefore = mountTable();
    tmp = makeTempDir('confine');
    rootfs = await makeRootfs(tmp);
  });
  after(async () => {
    await stopAllHelpers();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const inside = (script: string, flags: string[] = []) =>
    runHelper(['start', '--rootfs', rootfs, ...flags, '--', '/bin/sh', '-c', script]);

  it("keeps only Docker's default capabilities, less SYS_CHROOT and MKNOD (and NET_RAW on the host's network), and sets no_new_privs", async () => {
    for (const [flags, expected] of [[[], ON_HOST_NETWORK], [['--network', 'none'], DOCKER_DEFAULT_LESS_CHROOT_MKNOD]] as const) {
      const result = await inside('grep -E "^(CapBnd|CapEff|NoNewPrivs):" /proc/self/status', [...flags]);
      assert.equal(result.code, 0, result.stderr);
      const field = (name: string) => result.stdout.match(new RegExp(`${name}:\\s+(\\S+)`))![1];
      assert.equal(BigInt(`0x${field('CapBnd')}`), expected, `CapBnd with ${flags.join(' ') || 'the host network'}`);
      assert.equal(BigInt(`0x${field('CapEff')}`), expected, `CapEff with ${flags.join(' ') || 'the host network'}`);
      assert.equal(field('NoNewPrivs'), '1');
    }
  });

  it('starts every process of the container with default signal dispositions, whatever the caller ignored', () => {
    // The caller ignores HUP, PIPE and USR1; the helper's own & would ignore INT and QUIT: Ctrl+C must still stop a
    // command inside, and nothing of the caller's choice may change how the container's processes handle signals.
    const out = execFileSync('sh', ['-c', 'trap "" HUP PIPE USR1; exec sh "$0" "$@"', helperPath, 'start', '--rootfs', rootfs, '--',
      // A child of the shell (": " keeps it from exec'ing grep as PID 1, whose shell makes its own choices).
      '/bin/sh', '-c', 'grep SigIgn /proc/self/status; :'], { encoding: 'utf8' });
    assert.equal(out.trim(), 'SigIgn:\t0000000000000000');
  });

  it('defeats the classic chroot escape (mkdir x; chroot x; cd .. ×64; chroot .)', async () => {
    const escape = 'mkdir -p /tmp/x && chroot /tmp/x /bin/true; echo "chroot=$?"; ' +
      'cd /; i=0; while [ $i -lt 64 ]; do cd ..; i=$((i+1)); done; ls / | grep -c "^work$" || true';
    const result = await inside(escape);
    assert.match(result.stdout, /chroot=1/);
    assert.match(result.stderr, /Operation not permitted/);
    assert.match(result.stdout, /^0$/m, "the host's / was not reached");
    fs.rmSync(path.join(rootfs, 'tmp', 'x'), { recursive: true, force: true });
  });

  const refusals: Array<[string, string, RegExp]> = [
    ['mount', 'mount -t tmpfs t /tmp', /permission denied|not permitted/i],
    ['mknod a block device', 'mknod /tmp/sda b 8 0', /not permitted/i],
    ['write /proc/sys', 'echo mc > /proc/sys/kernel/domainname', /Read-only/i],
    ['set the clock', 'date -s 2000-01-01 >/dev/null; [ "$(date +%Y)" = 2000 ]', /not permitted/i],
    ['load a module', 'insmod /nope.ko', /not permitted|No such file|can't/i],
    ['use a device node planted in the rootfs', 'cat /planted-null', /not permitted|Permission denied/i],
  ];
  for (const [title, script, message] of refusals) {
    it(`root inside cannot ${title}`, async () => {
      if (title.includes('planted')) execFileSync('mknod', ['-m', '666', path.join(rootfs, 'planted-null'), 'c', '1', '3']);
      const result = await inside(`${script}; echo "rc=$?"`);
      assert.doesNotMatch(result.stdout, /rc=0/, result.stdout + result.stderr);
      assert.match(result.stderr, message);
    });
  }

  it('masks the kernel files Docker masks', async () => {
    const result = await inside('for f in /proc/keys /proc/timer_list /proc/sched_debug; do [ -e $f ] && wc -c < $f; done; ' +
      'ls /proc/acpi 2>/dev/null | wc -l');
    assert.equal(result.code, 0, result.stderr);
    for (const line of result.stdout.trim().split('\n')) assert.equal(line.trim(), '0', result.stdout);
  });

  it('gives the command an environment of PATH, HOME, TERM and HOSTNAME only (and PWD=/, which bwrap sets as a shell would)', async () => {
    // A value whose second line looks like another variable's export must not smuggle it in.
    const result = await runHelper(['start', '--rootfs', rootfs, '--', 'env'], {
      env: { MC_SECRET: 'host-only', MC_TRICKY: 'a\nexport PATH=/evil', TERM: 'xterm-mc' },
    });
    assert.equal(result.code, 0, result.stderr);
    const vars = Object.fromEntries(result.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.deepEqual(Object.keys(vars).sort(), ['HOME', 'HOSTNAME', 'PATH', 'PWD', 'TERM'], result.stdout);
    assert.equal(vars.PWD, '/');
    assert.equal(vars.PATH, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    assert.equal(vars.TERM, 'xterm-mc');
    assert.equal(vars.HOME, '/root');
  });

  it('has its own devpts: /dev/ptmx opens a new pty numbered from 0, and no host pty shows', async () => {
    // /dev/ptmx is the link to pts/ptmx that bwrap makes, so it opens this devpts instance, never the host's.
    const result = await inside('exec 3<>/dev/ptmx && ls /dev/pts && readlink /dev/ptmx && stat -c "%F %t:%T" /dev/pts/ptmx');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['0', 'ptmx', 'pts/ptmx', 'character special file 5:2'], result.stdout);
  });

  it('the seccomp filter refuses keyctl and TIOCSTI inside (EPERM), and --privileged runs without it', async () => {
    addPerl(rootfs);
    const probe = (flags: string[]) => runHelper(['start', '--rootfs', rootfs, ...flags, '--', '/usr/bin/perl', '-e', perlFilterProbe()]);
    const confined = await probe([]);
    assert.equal(confined.code, 0, confined.stderr);
    assert.deepEqual(confined.stdout.trim().split('\n'), ['keyctl=1', 'tiocsti=1'], confined.stdout);
    // The same program, the same rootfs, no filter: the calls reach the kernel.
    const privileged = await probe(['--privileged']);
    assert.equal(privileged.code, 0, privileged.stderr);
    assert.deepEqual(privileged.stdout.trim().split('\n'), ['keyctl=ok', 'tiocsti=25'], privileged.stdout);
  });

  it('--privileged keeps every capability (bwrap sets no_new_privs even then), and says so in its flags only', async () => {
    const result = await inside('grep CapBnd /proc/self/status; grep NoNewPrivs /proc/self/status', ['--privileged']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(BigInt(`0x${result.stdout.match(/CapBnd:\s+(\S+)/)![1]}`), BigInt(`0x${fs.readFileSync('/proc/self/status', 'utf8').match(/CapBnd:\s+(\S+)/)![1]}`));
    assert.match(result.stdout, /NoNewPrivs:\s+1/);
  });

  it('without --init a PID 1 that never waits collects zombies; with --init none are left', async () => {
    // The subshell's sleep is orphaned to PID 1, which then execs a program that never waits.
    const script = '(sleep 0.1 &); exec sleep 30';
    const zombies = async (flags: string[]) => {
      const status = path.join(tmp, `zombie${flags.length}.jsonl`);
      const child = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, ...flags, '--', '/bin/sh', '-c', script]);
      const started = await waitFor(() => readStarted(status));
      await new Promise((r) => setTimeout(r, 600));
      const count = processesInNamespaceOf(started.initPid).filter((pid) => readStat(pid)?.state === 'Z').length;
      child.kill('SIGTERM');
      await waitFor(() => !isAlive(started.initPid), 2_000);
      return count;
    };
    assert.equal(await zombies([]), 1, 'the lesson: a zombie stays');
    assert.equal(await zombies(['--init']), 0, 'the init reaped it');
  });

  it('--init forwards TERM to the command and keeps its exit status', async () => {
    const status = path.join(tmp, 'init-term.jsonl');
    const child = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, '--init', '--', '/bin/sleep', '100']);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const started = await waitFor(() => readStarted(status));
    // PID 1 ignores signals it has no handler for: wait until the init has installed its TERM handler.
    const catchesTerm = () => {
      const caught = fs.readFileSync(`/proc/${started.initPid}/status`, 'utf8').match(/SigCgt:\s+([0-9a-f]+)/)![1];
      return (BigInt(`0x${caught}`) & (1n << 14n)) !== 0n;
    };
    await waitFor(catchesTerm, 2_000);
    process.kill(started.initPid, 'SIGTERM');
    assert.equal(await exited, 143);
  });

  it('leaves the host mount table as it found it', () => assert.equal(mountTable(), mountsBefore));
});
